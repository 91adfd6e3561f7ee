"""`/users`: administrators list, create, deactivate and reactivate console users."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_htmx.responses import HTMXResponseClientRedirect
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from mspweb.access import require_admin
from mspweb.audit import record
from mspweb.auth.sessions import end_all_sessions
from mspweb.extensions import db, htmx
from mspweb.htmx_utils import render
from mspweb.models import Company, User
from mspweb.models.companies import PARENT_TYPES
from mspweb.users.forms import StaffUserForm
from mspweb.users.service import UserError, create_user

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.before_request
@login_required
def _administrators_only():
    require_admin()


def _subtree_roots() -> list[Company]:
    """Companies an operator can be confined to: those that can have children, still linked."""
    return list(
        db.session.scalars(
            select(Company)
            .where(Company.entity_type.in_(PARENT_TYPES), Company.unlinked_at.is_(None))
            .order_by(Company.name)
        )
    )


def _form() -> StaffUserForm:
    form = StaffUserForm()
    form.company_id.choices = [(0, "— (administrators see everything)")] + [
        (company.id, f"{company.name} ({company.type_label})") for company in _subtree_roots()
    ]
    return form


def _page(form: StaffUserForm, status: int = 200, error: str | None = None):
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render(
        "users/index.html", "users/_form.html", status=status, form=form, users=users, error=error
    )


def _back_to_list() -> WerkzeugResponse:
    """After a change: back to the list (a full navigation, also for htmx requests)."""
    if htmx:
        return HTMXResponseClientRedirect(url_for("users.index"), status=204)
    return redirect(url_for("users.index"), 303)


@bp.get("")
def index():
    """Every user with role, scope and last sign-in, and the form for a new staff user."""
    return _page(_form())


@bp.post("")
def create():
    """Create an administrator or an operator; problems come back on the form (422)."""
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422)
    company = None
    if form.role.data == "operator":
        company = db.session.get(Company, form.company_id.data or 0)
        if company is None or company.entity_type not in PARENT_TYPES:
            return _page(form, 422, "Choose the company whose subtree the operator manages.")
    try:
        user = create_user(form.email.data, form.password.data, form.role.data, company)
        record("user.create", user.email, details={"role": user.role}, user=current_user)
        db.session.commit()
    except UserError as error:
        db.session.rollback()
        record(
            "user.create",
            form.email.data,
            "refused",
            {"reason": str(error)},
            user=current_user,
            commit=True,
        )
        return _page(form, 422, str(error))
    flash(f"Created {user.role} {user.email}.", "success")
    return _back_to_list()


@bp.post("/<int:user_id>/active")
def set_active(user_id: int):
    """Deactivate (``active=0``) or reactivate (``active=1``) a user; not oneself."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("You cannot deactivate your own login.", "error")
        return _back_to_list()
    user.active = request.form.get("active") == "1"
    if not user.active:
        end_all_sessions(user.id)
    record("user.activate" if user.active else "user.deactivate", user.email, user=current_user)
    db.session.commit()
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success")
    return _back_to_list()
