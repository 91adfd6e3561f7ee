"""The second step of a sign-in with two-factor on, and the staff enrolment requirement.

After a correct password, a user with two-factor sign-in on is not signed in yet: the session
holds only a pending sign-in (user id, target, time) until the code is entered at
/login/two-factor, within `PENDING_SECONDS`. Wrong codes are throttled per pending user like
passwords (429 with Retry-After).

When an administrator requires two-factor sign-in for staff, an administrator or operator
without it is sent to enrol before anything else (`require_staff_enrolment`).
"""

from __future__ import annotations

import time

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from mspweb.extensions import limiter

from . import twofactor

PENDING_KEY = "pending_sign_in"
PENDING_SECONDS = 5 * 60
#: Endpoints a staff user who must enrol can still reach.
ENROLMENT_ENDPOINTS = {
    "static",
    "auth.logout",
    "auth.login",
    "main.healthz",
    "account.two_factor",
    "account.qr_code",
    "account.enable",
}


def begin_second_step(user_id: int, target: str) -> Response:
    """Remember the pending sign-in (in a fresh session) and ask for the code."""
    session.clear()
    session[PENDING_KEY] = {"user": user_id, "next": target, "at": time.time()}
    return redirect(url_for("auth.second_step"))


def pending_sign_in() -> tuple[int, str] | None:
    """(user id, target) of the pending sign-in, or None when there is none or it expired."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    return int(pending["user"]), str(pending["next"])


def _pending_key() -> str:
    pending = session.get(PENDING_KEY)
    return f"user-{pending.get('user')}" if isinstance(pending, dict) else "none"


def second_step_limits(view):
    """At most LOGIN_RATE_LIMIT wrong codes per pending user (counted on failures only)."""
    return limiter.limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"],
        key_func=_pending_key,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 401,
        scope="login-second-step",
    )(view)


def require_staff_enrolment() -> Response | None:
    """Before each request: staff who must use two-factor sign-in enrol first."""
    if request.endpoint in ENROLMENT_ENDPOINTS or not current_user.is_authenticated:
        return None
    if current_user.is_customer or not twofactor.staff_must_use_two_factor():
        return None
    if twofactor.enrolment(int(current_user.get_id())) is not None:
        return None
    return redirect(url_for("account.two_factor"))
