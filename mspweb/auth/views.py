"""Login and logout pages (logout is a POST)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import User
from mspweb.models.base import utcnow

from .forms import LoginForm
from .idle import end_idle_customer_sessions
from .sessions import end_all_sessions, enforce_server_session, start_session
from .throttle import forget_failures, login_limits, slow_down_after_failure

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
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and user.is_active and user.check_password(form.password.data):
            user.last_login_at = utcnow()
            db.session.commit()
            forget_failures(email)
            start_session(user)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
        slow_down_after_failure(email)
        error, status = INVALID_LOGIN, 401
    elif request.method == "POST":
        error, status = INVALID_LOGIN, 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    """Sign the user out (POST only, with the CSRF token): every session of the user ends."""
    end_all_sessions(int(current_user.get_id()))
    logout_user()
    flash("You have been signed out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
