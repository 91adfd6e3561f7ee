"""The `/api/v1` blueprint: bearer-token authentication, write permission, rate limit.

The API accepts tokens only: a session cookie alone is a 401, so there is no CSRF surface (the
blueprint is exempt from CSRF). A token acts exactly as its user: it becomes Flask-Login's
current user for the request (nothing is written to the session), so `Scope` (R12) and the
role guards apply unchanged.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address

from mspweb.api.problems import problem
from mspweb.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

#: Endpoints answered without a token (the OpenAPI document).
PUBLIC_ENDPOINTS = {"api.openapi"}

#: Methods that change something: they need a read-write token.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _bearer() -> str | None:
    """The bearer token of the request, if it sent one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_limit_key() -> str:
    """Flask-Limiter's key: the token (hashed), else the client address."""
    token = _bearer()
    if token:
        return "api-token:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    return "api-address:" + (get_remote_address() or "-")


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "600 per minute")


limiter.limit(_rate_limit, key_func=rate_limit_key)(bp)


@bp.before_request
def _authenticate() -> None:
    """Every request but the public ones carries a live token; writes need a read-write one."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    from mspweb.api.tokens import authenticate

    secret = _bearer()
    if secret is None:
        raise problem(
            401,
            "unauthorized",
            "This API takes API tokens only: send Authorization: Bearer <token> "
            "(a signed-in browser session is not enough).",
        )
    token = authenticate(secret)
    if token is None:
        raise problem(401, "invalid-token", "The token is unknown, revoked or expired.")
    g._login_user = token.user  # Flask-Login's current user, for this request only
    g.api_token = token
    if request.method in WRITE_METHODS and not token.can_write:
        raise problem(403, "read-only-token", "This token is read-only.")


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of this API."""
    from mspweb.api.spec import openapi_document

    return jsonify(openapi_document())
