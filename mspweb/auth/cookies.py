"""Response headers and cookie settings that belong to sessions (issue 15).

- Authenticated responses say `Cache-Control: no-store`: after sign-out, a shared computer's
  Back button or a proxy must not show what the user saw.
- `Permissions-Policy` switches off browser features the console never uses.
- The session cookie is `Secure` by default outside the embedded default (see config.py); when
  it is turned off in production, start-up says so loudly.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
INSECURE_COOKIE_WARNING = (
    "SESSION_COOKIE_SECURE is off: the session cookie will also be sent over plain HTTP, where "
    "anyone on the network can read it and take over the session. Serve the console over HTTPS "
    "and remove SESSION_COOKIE_SECURE=0 (or set it to 1)."
)


def session_headers(response: Response) -> Response:
    """After each request: no-store for signed-in users, and the Permissions-Policy."""
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("ETag", None)
    return response


def warn_if_cookie_insecure(app: Flask) -> None:
    """At start-up: warn when a production app sends its session cookie without `Secure`."""
    if app.testing or app.debug or app.config.get("SESSION_COOKIE_SECURE"):
        return
    if not app.config.get("PRODUCTION_DEFAULTS"):
        return  # the embedded default (make run on a laptop) runs over plain HTTP
    app.logger.warning(INSECURE_COOKIE_WARNING)


def register_session_headers(app: Flask) -> None:
    """Wire the headers and the start-up check into `app`."""
    app.after_request(session_headers)
    warn_if_cookie_insecure(app)
