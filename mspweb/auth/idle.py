"""Customer users' sessions end after a spell without activity (CUSTOMER_SESSION_MINUTES)."""

from __future__ import annotations

import time

from flask import Response, current_app, request, session
from flask_login import current_user, logout_user

from mspweb.auth.expiry import login_redirect

SESSION_KEY = "last_active"


def end_idle_customer_sessions() -> Response | None:
    """Before each request: sign a customer user out when the session has been idle too long."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    if not current_user.is_customer:
        return None
    now = time.time()
    limit = current_app.config["CUSTOMER_SESSION_MINUTES"] * 60
    last_active = session.get(SESSION_KEY)
    if last_active is not None and now - float(last_active) > limit:
        logout_user()
        session.pop(SESSION_KEY, None)
        return login_redirect(
            f"You were signed out after {current_app.config['CUSTOMER_SESSION_MINUTES']} "
            "minutes without activity. Please sign in again.",
        )
    session[SESSION_KEY] = now
    return None
