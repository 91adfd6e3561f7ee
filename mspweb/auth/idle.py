"""Sessions end after a spell without activity: CUSTOMER_SESSION_MINUTES for customer users,
STAFF_IDLE_MINUTES for administrators and operators."""

from __future__ import annotations

import time

from flask import current_app, request, session
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from mspweb.auth.expiry import login_redirect

from .sessions import SID_KEY, end_session

SESSION_KEY = "last_active"


def end_idle_customer_sessions() -> WerkzeugResponse | None:
    """Before each request: sign a user out when the session has been idle too long."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = time.time()
    minutes = current_app.config[
        "CUSTOMER_SESSION_MINUTES" if current_user.is_customer else "STAFF_IDLE_MINUTES"
    ]
    limit = minutes * 60
    last_active = session.get(SESSION_KEY)
    if last_active is not None and now - float(last_active) > limit:
        end_session(int(current_user.get_id()), session.get(SID_KEY) or "")
        logout_user()
        session.pop(SESSION_KEY, None)
        return login_redirect(
            f"You were signed out after {minutes} minutes without activity. Please sign in again.",
        )
    session[SESSION_KEY] = now
    return None
