"""`/security`: administrators clear sign-in throttles, sign a user out everywhere and decide
whether staff must use two-factor sign-in."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from mspweb.access import require_admin
from mspweb.audit import record
from mspweb.auth import twofactor
from mspweb.auth.sessions import end_all_sessions
from mspweb.auth.throttle import clear_throttle
from mspweb.extensions import db
from mspweb.htmx_utils import render
from mspweb.models import AuditEntry, User

bp = Blueprint("security", __name__, url_prefix="/security")

RECENT_THROTTLED = 20


@bp.before_request
@login_required
def _administrators_only():
    require_admin()


@bp.get("")
def index():
    """Recent throttled sign-ins, the throttle form, and every user's "sign out everywhere"."""
    throttled = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "auth.throttled")
        .order_by(AuditEntry.id.desc())
        .limit(RECENT_THROTTLED)
    ).all()
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render("security/index.html", "security/index.html", throttled=throttled, users=users)


@bp.post("/two-factor")
def require_two_factor():
    """Require two-factor sign-in for all staff (`required=1`), or stop requiring it."""
    required = request.form.get("required") == "1"
    twofactor.set_staff_requirement(required)
    record(
        "security.require_staff_two_factor",
        "staff",
        details={"required": required},
        user=current_user._get_current_object(),
    )
    db.session.commit()
    state = "required" if required else "no longer required"
    flash(f"Two-factor sign-in is {state} for administrators and operators.", "success")
    return redirect(url_for("security.index"), 303)


@bp.post("/throttles/clear")
def clear():
    """Forget the failed sign-ins counted for an e-mail and/or an address."""
    email = (request.form.get("email") or "").strip()[:254]
    address = (request.form.get("address") or "").strip()[:64]
    if not email and not address:
        flash("Give the e-mail or the address whose throttle to clear.", "error")
        return redirect(url_for("security.index"), 303)
    removed = clear_throttle(email, address)
    record(
        "auth.throttle_cleared",
        email or address,
        details={"email": email or None, "address": address or None, "counters": removed},
        user=current_user._get_current_object(),
        commit=True,
    )
    flash(f"Throttle cleared for {email or address} ({removed} counters).", "success")
    return redirect(url_for("security.index"), 303)


@bp.post("/users/<int:user_id>/sign-out")
def sign_out_everywhere(user_id: int):
    """End every session of a user at once."""
    user = db.session.get(User, user_id) or abort(404)
    ended = end_all_sessions(user.id)
    record(
        "user.sign_out_everywhere",
        user.email,
        details={"sessions": ended},
        user=current_user._get_current_object(),
        commit=True,
    )
    flash(f"{user.email} was signed out everywhere ({ended} sessions).", "success")
    return redirect(url_for("security.index"), 303)
