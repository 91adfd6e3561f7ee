"""The business portal's endpoints (docs/portal-api.md, "Business portal"), under ``/business``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from .api import (
    ApiError,
    authenticate,
    current_sandbox,
    issue_token,
    json_body,
    page,
    paging,
    renew_token,
    world,
)
from .world import BUSINESS_PORTAL, BusinessAccount, License, User

bp = Blueprint("business", __name__, url_prefix="/business")


def _opens_business(user: User) -> bool:
    return user.business_id is not None


def business_call(
    view: Callable[[User, BusinessAccount], ResponseReturnValue],
) -> Callable[[], ResponseReturnValue]:
    """Authenticate the call, then run ``view(user, account)`` holding the sandbox's lock."""

    @wraps(view)
    def wrapper() -> ResponseReturnValue:
        username = authenticate(BUSINESS_PORTAL)
        with current_sandbox().lock:
            user = world().users.get(username)
            account = world().businesses.get(user.business_id or "") if user else None
            if user is None or account is None:
                raise ApiError(401, "The access token is invalid or has expired.")
            return view(user, account)

    return wrapper


def business_license_json(item: License) -> dict:
    """A business-portal license: the MSP fields without the customer, plus allocations."""
    return {
        "publicLicenseKey": item.key,
        "productCode": item.product_code,
        "productName": item.product_name,
        "quantity": item.quantity,
        "usage": item.usage,
        "state": item.state,
        "trial": item.trial,
        "trialExpiration": item.trial_expiration,
        "expiration": item.expiration,
        "lastUpdate": item.last_update,
        "allocations": [
            {"siteId": part.site_id, "quantity": part.quantity, "usage": part.usage}
            for part in item.allocations
        ],
    }


@bp.post("/Token/Get")
def token_get() -> ResponseReturnValue:
    """Log in: ``{"username", "password"}`` → a token pair (401 without a business account)."""
    return issue_token(BUSINESS_PORTAL, _opens_business)


@bp.post("/Token/Renew")
def token_renew() -> ResponseReturnValue:
    """Renew: ``{"refreshToken"}`` → a new token pair."""
    return renew_token(BUSINESS_PORTAL, _opens_business)


@bp.get("/User/Current")
@business_call
def user_current(user: User, account: BusinessAccount) -> ResponseReturnValue:
    """The logged-in user and its company."""
    return jsonify(
        {
            "id": user.id,
            "email": user.username,
            "company": {"companyId": account.id, "name": account.name},
        }
    )


@bp.post("/Site/List")
@business_call
def site_list(user: User, account: BusinessAccount) -> ResponseReturnValue:
    """The company's sites, paged."""
    skip, take = paging(json_body())
    return jsonify(
        {
            "sites": [
                {"siteId": site.id, "name": site.name, "parentSiteId": site.parent_site_id}
                for site in page(account.sites, skip, take)
            ],
            "totalCount": len(account.sites),
        }
    )


@bp.post("/Search/Licenses")
@business_call
def search_licenses(user: User, account: BusinessAccount) -> ResponseReturnValue:
    """The company's licenses with their allocations, paged."""
    skip, take = paging(json_body())
    licenses = world().licenses
    return jsonify(
        {
            "search": [
                business_license_json(licenses[key])
                for key in page(account.license_keys, skip, take)
            ],
            "totalCount": len(account.license_keys),
        }
    )
