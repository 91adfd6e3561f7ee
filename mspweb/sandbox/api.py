"""What both portals' blueprints share: errors, request parsing, paging and authentication."""

from __future__ import annotations

from typing import Any, Literal, overload

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .state import Sandbox
from .world import World

MAX_TAKE = 100
#: (code, subCode) of the error body per status; other statuses use (status, 0).
ERROR_CODES = {403: (99, 1), 503: (99, 2)}


class ApiError(Exception):
    """An error answered with the contract's body ``{"code", "subCode", "message"}``."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def error_response(status: int, message: str, retry_after: int | None = None):
    """A JSON error response with the contract's error body."""
    code, sub_code = ERROR_CODES.get(status, (status, 0))
    response = jsonify({"code": code, "subCode": sub_code, "message": message})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def handle_api_error(error: ApiError) -> ResponseReturnValue:
    """Flask error handler for :class:`ApiError`."""
    return error_response(error.status, error.message, error.retry_after)


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    """Answer werkzeug's HTTP errors (404 unknown path, 405 …) with the contract's body."""
    return error_response(error.code or 500, error.description or error.name)


def current_sandbox() -> Sandbox:
    """The :class:`Sandbox` of the running app."""
    return current_app.extensions["sandbox"]


def world() -> World:
    """The current world (replaced on reset, so fetch it per request)."""
    return current_sandbox().world


def json_body() -> dict[str, Any]:
    """The request's JSON object body; 400 if it is missing or not a JSON object."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


@overload
def string_field(body: dict[str, Any], name: str, required: Literal[True] = True) -> str: ...


@overload
def string_field(body: dict[str, Any], name: str, required: bool) -> str | None: ...


def string_field(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    """A string field of the body; 400 if required and missing, or not a string."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise ApiError(400, f"'{name}' must be a non-empty string.")
    return value


def paging(body: dict[str, Any]) -> tuple[int, int]:
    """``skip`` (>= 0, default 0) and ``take`` (1..100, default 100); 400 if out of range."""
    skip, take = body.get("skip", 0), body.get("take", MAX_TAKE)
    for name, value in (("skip", skip), ("take", take)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(400, f"'{name}' must be an integer.")
    if skip < 0:
        raise ApiError(400, "'skip' must be 0 or more.")
    if not 1 <= take <= MAX_TAKE:
        raise ApiError(400, f"'take' must be between 1 and {MAX_TAKE}.")
    return skip, take


def page(items: list, skip: int, take: int) -> list:
    """The slice ``[skip, skip + take)`` of ``items``; notes on ``g`` whether it is the last.

    With the sandbox's ``past_end`` setting "forbidden", a page past the end of a non-empty
    list answers 403 code 99 subCode 1 ("no such page"), as some portals do.
    """
    if skip and skip >= len(items) and current_sandbox().past_end == "forbidden":
        raise ApiError(403, "No such page.")
    g.last_page = skip + take >= len(items)
    return items[skip : skip + take]


def rate_limit(credential: str) -> None:
    """Count a call of ``credential``; 429 with Retry-After beyond the rate limit."""
    retry_after = current_sandbox().limiter.hit(credential)
    if retry_after is not None:
        raise ApiError(429, "Too many requests.", retry_after=retry_after)


def authenticate(portal: str) -> str:
    """The username of the request's bearer token on ``portal``; 401 if missing or invalid."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Missing bearer token.")
    username = current_sandbox().tokens.user_for(token.strip(), portal)
    if username is None:
        raise ApiError(401, "The access token is invalid or has expired.")
    rate_limit(username)
    g.username = username
    return username


def issue_token(portal: str, opens_portal) -> ResponseReturnValue:
    """``Token/Get``: check the credentials (``opens_portal(user)`` says if they open this
    portal) and answer a token pair; 401 otherwise."""
    body = json_body()
    username = string_field(body, "username")
    password = string_field(body, "password")
    rate_limit(username)
    user = world().users.get(username)
    if user is None or user.password != password or not opens_portal(user):
        raise ApiError(401, "Invalid username or password.")
    return _token_answer(username, portal)


def _token_answer(username: str, portal: str) -> ResponseReturnValue:
    sandbox = current_sandbox()
    body = sandbox.tokens.issue(username, portal, sandbox.token_lifetime)
    if not sandbox.send_expires_in:
        del body["expiresIn"]
    return jsonify(body)


def renew_token(portal: str, opens_portal) -> ResponseReturnValue:
    """``Token/Renew``: trade a refresh token for a new token pair; 401 if it is not valid."""
    refresh_token = string_field(json_body(), "refreshToken")
    sandbox = current_sandbox()
    username = sandbox.tokens.redeem_refresh(refresh_token, portal)
    user = world().users.get(username) if username else None
    if username is None or user is None or not opens_portal(user):
        raise ApiError(401, "The refresh token is invalid or has expired.")
    rate_limit(username)
    return _token_answer(username, portal)
