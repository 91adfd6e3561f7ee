"""Sign-in throttling that slows guessing without locking the owner out.

Two Flask-Limiter limits (Redis storage) count failed sign-ins only:

- per (account, address): `LOGIN_RATE_LIMIT` failures for one e-mail from one address. Failures
  from another address never count here, so an attacker elsewhere cannot lock the owner out.
- per address: `LOGIN_ADDRESS_RATE_LIMIT` failures from one address, whatever the e-mail (a
  password spray). A browser that signed in to that account before carries a signed "known
  device" cookie and is exempt from this one, so people behind the attacker's address (an office
  NAT) still sign in.

A refused attempt is answered at once with 429 and `Retry-After` (no sleep holds the worker),
and is recorded in the audit log. An administrator can clear the counters (`clear_throttle`).
"""

from __future__ import annotations

import contextlib
import math
import time

from flask import current_app, g, request
from flask.wrappers import Response
from flask_limiter import RequestLimit
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mspweb.broker import get_redis
from mspweb.extensions import limiter

REFUSED_MESSAGE = (
    "Too many failed sign-in attempts for this email or from this address. "
    "Wait a few minutes and try again."
)
KNOWN_DEVICE_COOKIE = "mspweb_known_device"
KNOWN_DEVICE_DAYS = 90
_SCOPES = ("login-account", "login-address")


def form_email() -> str:
    """The e-mail the sign-in form names, normalised as accounts are looked up."""
    return (request.form.get("email") or "").strip().lower()[:254]


def _account_key() -> str:
    return f"{form_email()}|{request.remote_addr or ''}"


def _address_key() -> str:
    return request.remote_addr or ""


def _failed(response: Response) -> bool:
    return response.status_code in (401, 422)


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt="mspweb-known-device")


def known_device_token(email: str) -> str:
    """The value of the known-device cookie for `email` (set after a successful sign-in)."""
    return _serializer().dumps(email.strip().lower())


def _known_device() -> bool:
    """True when this browser signed in to the form's account before (cookie still valid)."""
    token = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not token or request.method != "POST":
        return False
    try:
        email = _serializer().loads(token, max_age=KNOWN_DEVICE_DAYS * 86400)
    except BadSignature:
        return False
    return bool(email) and email == form_email()


def _on_breach(limit: RequestLimit) -> None:
    """Remember when the caller may try again, and audit the throttled attempt."""
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    g.login_retry_after = max(wait, getattr(g, "login_retry_after", 0))
    if getattr(g, "login_throttle_audited", False):
        return
    g.login_throttle_audited = True
    from mspweb.audit import record

    with contextlib.suppress(Exception):  # auditing must not turn a 429 into a 500
        record(
            "auth.throttled",
            form_email() or None,
            "refused",
            details={"limit": str(limit.limit), "retry_after": g.login_retry_after},
            commit=True,
        )


def retry_after() -> int:
    """Seconds until the refused caller may try again (from the breached limit)."""
    return int(getattr(g, "login_retry_after", 60))


def login_limits(view):
    """Decorate the login view with the per-(account, address) and per-address limits."""
    view = limiter.limit(
        _account_limit,
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_failed,
        error_message=REFUSED_MESSAGE,
        scope="login-account",
        on_breach=_on_breach,
    )(view)
    return limiter.limit(
        _address_limit,
        key_func=_address_key,
        methods=["POST"],
        deduct_when=_failed,
        exempt_when=_known_device,
        error_message=REFUSED_MESSAGE,
        scope="login-address",
        on_breach=_on_breach,
    )(view)


def clear_throttle(email: str | None = None, address: str | None = None) -> int:
    """Forget the failure counts for `email` (from every address) and/or `address`.

    Returns how many counters were removed.
    """
    email = (email or "").strip().lower()
    address = (address or "").strip()
    base = f"*LIMITER/{_glob(current_app.config.get('RATELIMIT_KEY_PREFIX', ''))}/"
    patterns = []
    if email:
        patterns.append(f"{base}{_glob(email)}|*/*login-account/*")
    if address:
        patterns.append(f"{base}{_glob(address)}/*login-address/*")
        patterns.append(f"{base}*|{_glob(address)}/*login-account/*")
    redis = get_redis()
    doomed = {key for pattern in patterns for key in redis.scan_iter(match=pattern, count=500)}
    if doomed:
        redis.delete(*doomed)
    return len(doomed)


def _glob(text: str) -> str:
    """`text` with Redis glob characters escaped."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)
