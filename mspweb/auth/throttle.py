"""Login throttling: failed sign-ins are slowed, then refused for a while.

Two Flask-Limiter limits (Redis storage) count failed attempts only: one per email, one per
client address. Before the limit refuses, each further failure for an email waits a little
longer (at most `MAX_DELAY` seconds), which makes guessing slow without locking anyone out
for long.
"""

from __future__ import annotations

import contextlib
import time

from flask import current_app, request
from flask.wrappers import Response

from mspweb.broker import get_redis
from mspweb.extensions import limiter

FREE_FAILURES = 2
MAX_DELAY = 2.0
WINDOW_SECONDS = 15 * 60
REFUSED_MESSAGE = (
    "Too many failed sign-in attempts for this email or from this address. "
    "Wait a few minutes and try again."
)


def _email_key() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response: Response) -> bool:
    return response.status_code in (401, 422)


def _email_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def login_limits(view):
    """Decorate the login view with the per-email and per-address limits on failed POSTs."""
    view = limiter.limit(
        _email_limit,
        key_func=_email_key,
        methods=["POST"],
        deduct_when=_failed,
        error_message=REFUSED_MESSAGE,
        scope="login-email",
    )(view)
    return limiter.limit(
        _address_limit,
        methods=["POST"],
        deduct_when=_failed,
        error_message=REFUSED_MESSAGE,
        scope="login-address",
    )(view)


def _failure_key(email: str) -> str:
    return f"mspweb:login-failures:{email.strip().lower()[:254]}"


def slow_down_after_failure(email: str) -> float:
    """Count a failed sign-in for `email` and wait longer the more there were; return the wait."""
    try:
        redis = get_redis()
        key = _failure_key(email)
        failures = int(redis.incr(key))
        redis.expire(key, WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - throttling must never break signing in
        return 0.0
    delay = 0.0
    if failures > FREE_FAILURES:
        delay = min(MAX_DELAY, 0.25 * 2 ** (failures - FREE_FAILURES - 1))
    if delay:
        time.sleep(delay)
    return delay


def forget_failures(email: str) -> None:
    """A successful sign-in clears the email's failure count."""
    with contextlib.suppress(Exception):  # throttling must never break signing in
        get_redis().delete(_failure_key(email))
