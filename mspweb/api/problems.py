"""RFC 9457 problem details: every 4xx and 5xx of the API as `application/problem+json`.

Each problem has a stable `type` (a URN that clients may switch on), a `title`, the `status`
and a `detail` in words; a bad query parameter also names it (`parameter`) and lists every
error found (`errors`).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"

#: Stable problem types by HTTP status (a few statuses have more specific ones, below).
TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
}

DETAILS = {
    401: "Send a valid API token: Authorization: Bearer <token>.",
    404: "There is nothing here, or it is outside what this token may see.",
    405: "That method is not allowed on this resource.",
    429: "This token sent too many requests. Wait as long as Retry-After says.",
    500: "Something went wrong on our side. The error has been logged.",
}


def problem_type(slug: str) -> str:
    """The `type` URN of the problem `slug` ("not-found" -> "urn:mspweb:problem:not-found")."""
    return f"urn:mspweb:problem:{slug}"


class ApiProblem(HTTPException):
    """An HTTP error with a specific problem type and extra members (raise it in a view)."""

    def __init__(self, status: int, slug: str, detail: str, **extra: Any) -> None:
        super().__init__(description=detail)
        self.code = status
        self.slug = slug
        self.extra = extra


def problem(status: int, slug: str, detail: str, **extra: Any) -> ApiProblem:
    """An `ApiProblem` to raise: ``raise problem(403, "read-only-token", "...")``."""
    return ApiProblem(status, slug, detail, **extra)


def problem_body(status: int, slug: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of a problem."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    body.update(extra)
    return body


def problem_response(error: HTTPException) -> Response:
    """The problem+json answer for an HTTP error raised while serving the API."""
    status = error.code or 500
    if isinstance(error, ApiProblem):
        slug, extra = error.slug, error.extra
    else:
        slug, extra = TYPES.get(status, "error"), {}
    default = type(error).description
    description = error.description if error.description != default else None
    detail = description or DETAILS.get(status) or (default or "")
    if status >= 500:
        detail = DETAILS[500]
    body = problem_body(status, slug, detail, **extra)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mspweb"'
    if status == 405 and error.get_response().headers.get("Allow"):
        response.headers["Allow"] = error.get_response().headers["Allow"]
    if status == 429:
        response.headers["Retry-After"] = str(_retry_after())
    return response


def _retry_after() -> int:
    """Seconds until the token's rate-limit window resets (at least 1)."""
    from mspweb.extensions import limiter

    limit = getattr(limiter, "current_limit", None)
    reset_at = getattr(limit, "reset_at", None)
    if not reset_at:
        return 1
    return max(1, math.ceil(reset_at - time.time()))
