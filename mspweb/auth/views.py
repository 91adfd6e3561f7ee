"""Login and logout pages (logout is a POST)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from mspweb.redirects import safe_next

from .forms import LoginForm
from .idle import end_idle_customer_sessions
from .sessions import end_all_sessions, enforce_server_session, start_session
from .signin import authenticate, record_sign_in
from .throttle import (
    KNOWN_DEVICE_COOKIE,
    KNOWN_DEVICE_DAYS,
    REFUSED_MESSAGE,
    known_device_token,
    login_limits,
    retry_after,
)

bp = Blueprint("auth", __name__)
bp.before_app_request(enforce_server_session)
bp.before_app_request(end_idle_customer_sessions)

INVALID_LOGIN = "Invalid email or password"


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Show the login form; sign the user in on a valid POST."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user_id = authenticate(email, form.password.data)
        if user_id is not None:
            user = record_sign_in(user_id)
            start_session(user)
            login_user(user)
            response = redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
            _remember_device(response, email)
            return response
        error, status = INVALID_LOGIN, 401
    elif request.method == "POST":
        error, status = INVALID_LOGIN, 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.errorhandler(RateLimitExceeded)
def _throttled(_error: RateLimitExceeded):
    """A throttled sign-in: the form again, 429 and when to retry, answered at once."""
    page = render_template("auth/login.html", form=LoginForm(), error=REFUSED_MESSAGE)
    return page, 429, {"Retry-After": str(retry_after())}


def _remember_device(response, email: str) -> None:
    """Mark this browser as one that signed in to `email` (exempt from the address limit)."""
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        known_device_token(email),
        max_age=KNOWN_DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        path=url_for("auth.login"),
    )


@bp.post("/logout")
@login_required
def logout():
    """Sign the user out (POST only, with the CSRF token): every session of the user ends."""
    end_all_sessions(int(current_user.get_id()))
    logout_user()
    flash("You have been signed out.", "info")
    return redirect(url_for("auth.login"))
