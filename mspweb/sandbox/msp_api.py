"""The MSP portal's endpoints (docs/portal-api.md, "MSP portal"), served under ``/msp``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from . import usage
from .api import (
    ApiError,
    authenticate,
    current_sandbox,
    issue_token,
    json_body,
    page,
    paging,
    renew_token,
    string_field,
    world,
)
from .world import ENTITY_TYPES, LICENSE_STATES, MSP_PORTAL, Company, License, User, World

bp = Blueprint("msp", __name__, url_prefix="/msp")


def _opens_msp(user: User) -> bool:
    return user.msp_root_id is not None


def msp_call(view: Callable[[User], ResponseReturnValue]) -> Callable[[], ResponseReturnValue]:
    """Authenticate the call, then run ``view(user)`` holding the sandbox's lock."""

    @wraps(view)
    def wrapper() -> ResponseReturnValue:
        username = authenticate(MSP_PORTAL)
        with current_sandbox().lock:
            user = world().users.get(username)
            if user is None or not _opens_msp(user):
                raise ApiError(401, "The access token is invalid or has expired.")
            return view(user)

    return wrapper


def license_json(item: License, the_world: World) -> dict:
    """An MSP-portal license as the contract spells it."""
    company = the_world.companies[item.owner_id]
    return {
        "publicLicenseKey": item.key,
        "customerId": company.id,
        "customerName": company.name,
        "productCode": item.product_code,
        "productName": item.product_name,
        "quantity": item.quantity,
        "usage": item.usage,
        "state": item.state,
        "trial": item.trial,
        "trialExpiration": item.trial_expiration,
        "expiration": item.expiration,
        "lastUpdate": item.last_update,
    }


def _company_in_tree(user: User, company_id: str) -> Company:
    """The company ``company_id`` if it is in the user's tree; 404 otherwise."""
    the_world = world()
    if company_id not in the_world.companies or not the_world.in_tree(company_id, user.root_id):
        raise ApiError(404, "No such company.")
    return the_world.companies[company_id]


@bp.post("/Token/Get")
def token_get() -> ResponseReturnValue:
    """Log in: ``{"username", "password"}`` → a token pair."""
    return issue_token(MSP_PORTAL, _opens_msp)


@bp.post("/Token/Renew")
def token_renew() -> ResponseReturnValue:
    """Renew: ``{"refreshToken"}`` → a new token pair."""
    return renew_token(MSP_PORTAL, _opens_msp)


@bp.get("/User/Current")
@msp_call
def user_current(user: User) -> ResponseReturnValue:
    """The logged-in user and the company at the root of its tree."""
    root = world().companies[user.root_id]
    return jsonify(
        {
            "id": user.id,
            "email": user.username,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "company": {"companyId": root.id, "name": root.name, "type": root.type},
        }
    )


@bp.post("/Company/Children")
@msp_call
def company_children(user: User) -> ResponseReturnValue:
    """First-level children of a company of the user's tree, paged."""
    body = json_body()
    company = _company_in_tree(user, string_field(body, "companyId"))
    skip, take = paging(body)
    children = [world().companies[child_id] for child_id in company.children]
    return jsonify(
        {
            "companies": [
                {
                    "publicId": child.id,
                    "name": child.name,
                    "type": child.type,
                    "status": child.status,
                    "email": child.email,
                    "access": child.access,
                }
                for child in page(children, skip, take)
            ],
            "totalCount": len(children),
        }
    )


@bp.post("/Company/Detail")
@msp_call
def company_detail(user: User) -> ResponseReturnValue:
    """One company of the user's tree (``parentId`` null for the root)."""
    company = _company_in_tree(user, string_field(json_body(), "companyId"))
    parent_id = None if company.id == user.root_id else company.parent_id
    return jsonify(
        {
            "id": company.id,
            "name": company.name,
            "type": company.type,
            "status": company.status,
            "email": company.email,
            "parentId": parent_id,
            "customIdentifier": company.custom_identifier,
            "access": company.access,
        }
    )


@bp.post("/Search/Licenses")
@msp_call
def search_licenses(user: User) -> ResponseReturnValue:
    """Licenses of one company (``customerId``) or of every readable company, paged."""
    body = json_body()
    skip, take = paging(body)
    keyword = body.get("keyword") or ""
    if not isinstance(keyword, str):
        raise ApiError(400, "'keyword' must be a string.")
    the_world = world()
    customer_id = string_field(body, "customerId", required=False)
    if customer_id is None:
        keys = the_world.readable_license_keys(user.root_id)
    else:
        company = _company_in_tree(user, customer_id)
        if company.access == "NoAccess":
            raise ApiError(403, "No access to this company's licenses.")
        keys = company.license_keys
    if keyword:
        keys = [key for key in keys if _matches(the_world.licenses[key], keyword)]
    return jsonify(
        {
            "search": [
                license_json(the_world.licenses[key], the_world) for key in page(keys, skip, take)
            ],
            "totalCount": len(keys),
        }
    )


def _matches(item: License, keyword: str) -> bool:
    needle = keyword.casefold()
    return any(
        needle in text.casefold() for text in (item.product_code, item.product_name, item.key)
    )


@bp.post("/License/Detail")
@msp_call
def license_detail(user: User) -> ResponseReturnValue:
    """One license by key; 404 if unknown or outside the tree, 403 if not readable."""
    the_world = world()
    item = the_world.licenses.get(string_field(json_body(), "publicLicenseKey"))
    if item is None or item.company_id is None:
        raise ApiError(404, "No such license.")
    company = _company_in_tree(user, item.company_id)
    if company.access == "NoAccess":
        raise ApiError(403, "No access to this license.")
    return jsonify(license_json(item, the_world))


@bp.post("/UsageReport/AllCompanies/products")
@msp_call
def usage_report(user: User) -> ResponseReturnValue:
    """Daily seat usage per readable company and (product, license type), paged by company."""
    body = json_body()
    skip, take = paging(body)
    the_world = world()
    try:
        first, last = usage.parse_range(body, usage.today(the_world))
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    readable = [
        the_world.companies[company_id]
        for company_id in the_world.subtree(user.msp_root_id or "")
        if the_world.companies[company_id].access != "NoAccess"
    ]
    return jsonify(
        {
            "companies": [
                {
                    "companyId": company.id,
                    "companyName": company.name,
                    "products": usage.company_products(
                        the_world, usage.licenses_of(the_world, company.id), company.id, first, last
                    ),
                }
                for company in page(readable, skip, take)
            ],
            "totalCount": len(readable),
        }
    )


@bp.get("/Enum/LicenseStates")
@msp_call
def enum_license_states(user: User) -> ResponseReturnValue:
    """The license states enum."""
    return jsonify([{"id": key, "name": name} for key, name in LICENSE_STATES.items()])


@bp.get("/Enum/EntityTypes")
@msp_call
def enum_entity_types(user: User) -> ResponseReturnValue:
    """The entity types enum."""
    return jsonify([{"id": key, "name": name} for key, name in ENTITY_TYPES.items()])
