"""Login and logout pages (logout is a POST)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from mspweb.redirects import safe_next

from . import twofactor
from .forms import LoginForm
from .idle import end_idle_customer_sessions
from .second_step import (
    begin_second_step,
    pending_sign_in,
    require_staff_enrolment,
    second_step_limits,
)
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
bp.before_app_request(require_staff_enrolment)

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
            target = safe_next(request.args.get("next"), url_for("main.dashboard"))
            if twofactor.enrolment(user_id) is not None:
                response = begin_second_step(user_id, target)
            else:
                response = _complete_sign_in(user_id, target)
            _remember_device(response, email)
            return response
        error, status = INVALID_LOGIN, 401
    elif request.method == "POST":
        error, status = INVALID_LOGIN, 422
    return render_template("auth/login.html", form=form, error=error), status


def _complete_sign_in(user_id: int, target: str, second_factor: bool = False):
    """Sign the user in: a new session (new id), the sign-in time written, then `target`."""
    user = record_sign_in(user_id)
    start_session(user)
    login_user(user)
    if second_factor:
        twofactor.mark_fresh()
    return redirect(target)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@second_step_limits
def second_step():
    """After the password: the TOTP or recovery code (a pending sign-in lives 5 minutes)."""
    pending = pending_sign_in()
    if pending is None:
        flash("Sign in again: the sign-in waited too long for its code.", "info")
        return redirect(url_for("auth.login"))
    user_id, target = pending
    error, status = None, 200
    if request.method == "POST":
        if twofactor.verify_second_factor(user_id, request.form.get("code", "")[:32]):
            return _complete_sign_in(user_id, target, second_factor=True)
        error, status = "That code is not right.", 401
    return render_template("auth/two_factor.html", error=error), status


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
