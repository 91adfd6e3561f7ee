"""The test-only admin endpoint ``/_sandbox``: faults, settings, mutations and read helpers.

Registered only when enabled (``--enable-admin`` or ``SANDBOX_ADMIN=1``); otherwise every
``/_sandbox/*`` path answers 404. Request bodies use snake_case field names; every change
answers the ids of what it created or changed. :mod:`.control` is its Python client.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from . import mutations
from .api import current_sandbox, error_response, world
from .business_api import business_license_json
from .faults import FaultRuleError
from .msp_api import license_json
from .world import DEMO_ACCOUNTS, User

bp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")


@bp.errorhandler(mutations.MutationError)
def _mutation_error(error: mutations.MutationError) -> ResponseReturnValue:
    return error_response(error.status, str(error))


@bp.errorhandler(FaultRuleError)
def _fault_error(error: FaultRuleError) -> ResponseReturnValue:
    return error_response(400, str(error))


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise mutations.MutationError("the body must be a JSON object")
    return body


def _change(function, *args: Any, **fields: Any) -> ResponseReturnValue:
    """Apply a mutation under the sandbox's lock and answer its result."""
    with current_sandbox().lock:
        try:
            return jsonify(function(world(), *args, **fields))
        except TypeError as error:  # unknown or missing arguments
            raise mutations.MutationError(str(error)) from None


def _user(username: str | None) -> User:
    user = world().users.get(username or "")
    if user is None:
        raise mutations.MutationError(f"no user {username!r}", 404)
    return user


@bp.get("/")
def info() -> ResponseReturnValue:
    """The sandbox's config, settings and demo accounts."""
    sandbox = current_sandbox()
    return jsonify(
        {
            "seed": sandbox.world.seed,
            "tokenLifetime": sandbox.token_lifetime,
            "rateLimit": sandbox.limiter.per_second,
            "pastEnd": sandbox.past_end,
            "sendExpiresIn": sandbox.send_expires_in,
            "today": sandbox.world.fixed_today,
            "accounts": {
                key: {"username": a.username, "password": a.password, "portals": list(a.portals)}
                for key, a in DEMO_ACCOUNTS.items()
            },
        }
    )


@bp.post("/reset")
def reset() -> ResponseReturnValue:
    """Regenerate the world (optionally ``seed``/``companies``/``licenses``), clear the rest."""
    body = _body()
    overrides = {k: body[k] for k in ("seed", "companies", "licenses") if k in body}
    current_sandbox().reset(**overrides)
    return jsonify(
        {
            "seed": world().seed,
            "companies": len(world().companies),
            "licenses": len(world().licenses),
        }
    )


@bp.get("/faults")
def list_faults() -> ResponseReturnValue:
    """The active fault rules."""
    return jsonify([rule.to_dict() for rule in current_sandbox().faults.rules()])


@bp.post("/faults")
def add_fault() -> ResponseReturnValue:
    """Add a fault rule (format: :mod:`.faults`); answers it with its id."""
    return jsonify(current_sandbox().faults.add(_body()).to_dict())


@bp.delete("/faults")
def clear_faults() -> ResponseReturnValue:
    """Remove every fault rule."""
    current_sandbox().faults.clear()
    return jsonify({"cleared": True})


@bp.post("/settings")
def settings() -> ResponseReturnValue:
    """Change ``token_lifetime`` (s), ``rate_limit`` (calls/s, null: none), ``past_end``
    ("empty"/"forbidden"), ``send_expires_in`` (false: tokens come without expiresIn) or
    ``today`` (the portal's day, null: the real one)."""
    body, sandbox = _body(), current_sandbox()
    lifetime, rate = body.get("token_lifetime", 1), body.get("rate_limit")
    if not isinstance(lifetime, int) or lifetime < 1:
        raise mutations.MutationError("token_lifetime must be a positive integer")
    if rate is not None and (not isinstance(rate, int | float) or rate <= 0):
        raise mutations.MutationError("rate_limit must be a positive number or null")
    if "token_lifetime" in body:
        sandbox.token_lifetime = lifetime
    if "rate_limit" in body:
        sandbox.limiter.per_second = rate
    if "send_expires_in" in body:
        sandbox.send_expires_in = bool(body["send_expires_in"])
    if "today" in body:  # the portal's today (null: the real UTC date)
        if body["today"] is not None:
            mutations.check_day(body["today"])
        sandbox.world.fixed_today = body["today"]
    if "past_end" in body:
        if body["past_end"] not in ("empty", "forbidden"):
            raise mutations.MutationError("past_end must be 'empty' or 'forbidden'")
        sandbox.past_end = body["past_end"]
    return info()


@bp.post("/tokens/revoke")
def revoke_tokens() -> ResponseReturnValue:
    """Revoke every token of ``username``."""
    user = _user(_body().get("username"))
    return jsonify(
        {"username": user.username, "revoked": current_sandbox().tokens.revoke(user.username)}
    )


@bp.post("/users/password")
def set_password() -> ResponseReturnValue:
    """Change the password of ``username`` to ``password`` (tokens stay valid)."""
    body = _body()
    with current_sandbox().lock:
        user = _user(body.get("username"))
        user.password = str(body.get("password", ""))
    return jsonify({"username": user.username, "id": user.id})


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    """Portal calls counted per ``portal/path`` since the last reset."""
    counts = dict(current_sandbox().stats)
    return jsonify({"calls": counts, "total": sum(counts.values())})


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Every login with the roots it opens."""
    return jsonify(
        [
            {
                "username": u.username,
                "password": u.password,
                "id": u.id,
                "mspRootId": u.msp_root_id,
                "businessId": u.business_id,
            }
            for u in world().users.values()
        ]
    )


@bp.get("/companies")
def companies() -> ResponseReturnValue:
    """The MSP-portal tree of ``?username=`` (root first, depth-first), with license counts."""
    the_world = world()
    with current_sandbox().lock:
        user = _user(request.args.get("username"))
        if user.msp_root_id is None:
            return jsonify([])
        return jsonify(
            [
                {
                    "id": c.id,
                    "name": c.name,
                    "type": c.type,
                    "parentId": c.parent_id,
                    "status": c.status,
                    "access": c.access,
                    "email": c.email,
                    "customIdentifier": c.custom_identifier,
                    "licenseCount": len(c.license_keys),
                    "children": list(c.children),
                }
                for c in (the_world.companies[c_id] for c_id in the_world.subtree(user.root_id))
            ]
        )


@bp.post("/companies")
def add_company() -> ResponseReturnValue:
    """Add a company: ``{"parent_id", "name", "type": 1007, ...}``."""
    body = _body()
    return _change(mutations.add_company, body.pop("parent_id", None), body.pop("name", ""), **body)


@bp.patch("/companies/<company_id>")
def update_company(company_id: str) -> ResponseReturnValue:
    """Rename a company or change its status/access/email/custom_identifier."""
    return _change(mutations.update_company, company_id, **_body())


@bp.delete("/companies/<company_id>")
def remove_company(company_id: str) -> ResponseReturnValue:
    """Remove a company with its subtree and their licenses."""
    return _change(mutations.remove_company, company_id)


@bp.get("/licenses")
def licenses() -> ResponseReturnValue:
    """Licenses of ``?username=`` on ``?portal=msp|business`` (all, readable or not), or of
    ``?company_id=``; business licenses carry their allocations."""
    the_world = world()
    with current_sandbox().lock:
        company_id = request.args.get("company_id")
        if company_id:
            if company_id not in the_world.companies:
                raise mutations.MutationError(f"no company {company_id!r}", 404)
            keys = list(the_world.companies[company_id].license_keys)
        else:
            user = _user(request.args.get("username"))
            if request.args.get("portal", "msp") == "business":
                account = the_world.businesses.get(user.business_id or "")
                return jsonify(
                    [
                        business_license_json(the_world.licenses[k])
                        for k in (account.license_keys if account else [])
                    ]
                )
            keys = (
                [
                    k
                    for c in the_world.subtree(user.msp_root_id or "")
                    for k in the_world.companies[c].license_keys
                ]
                if user.msp_root_id
                else []
            )
        return jsonify([license_json(the_world.licenses[k], the_world) for k in keys])


@bp.post("/licenses")
def add_license() -> ResponseReturnValue:
    """Add a license: ``{"company_id"}`` or ``{"business_id", "allocations"}``, plus fields."""
    return _change(mutations.add_license, **_body())


@bp.patch("/licenses/<key>")
def set_license(key: str) -> ResponseReturnValue:
    """Change a license's usage/quantity/state/... (or a business license's allocations)."""
    return _change(mutations.set_license, key, **_body())


@bp.delete("/licenses/<key>")
def remove_license(key: str) -> ResponseReturnValue:
    """Remove a license (``{"effective_from": day}``: a backdated removal)."""
    return _change(mutations.remove_license, key, **_body())


@bp.get("/sites")
def sites() -> ResponseReturnValue:
    """The business-portal account of ``?username=`` with its sites."""
    user = _user(request.args.get("username"))
    account = world().businesses.get(user.business_id or "")
    if account is None:
        return jsonify(None)
    return jsonify(
        {
            "companyId": account.id,
            "name": account.name,
            "sites": [
                {"siteId": s.id, "name": s.name, "parentSiteId": s.parent_site_id}
                for s in account.sites
            ],
        }
    )


@bp.post("/sites")
def add_site() -> ResponseReturnValue:
    """Add a site: ``{"business_id", "name", "parent_site_id"}``."""
    return _change(mutations.add_site, **_body())
