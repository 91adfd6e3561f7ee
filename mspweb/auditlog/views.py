"""`/audit`: who imported, synchronized, removed pools, set up customers, edited tags..."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import login_required
from sqlalchemy import or_, select

from mspweb.access import require_admin
from mspweb.extensions import db
from mspweb.htmx_utils import render
from mspweb.models import AuditEntry
from mspweb.pagination import page_number, paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50


@bp.before_request
@login_required
def _administrators_only():
    require_admin()


@bp.get("")
def index():
    """The audit log, newest first, filtered by action, outcome and a search in the URL."""
    action = request.args.get("action", "").strip()[:64]
    outcome = request.args.get("outcome", "").strip()[:16]
    search = request.args.get("q", "").strip()[:200]
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(AuditEntry.actor.ilike(pattern), AuditEntry.target.ilike(pattern)))
    page = paginate(query, page_number(), PER_PAGE)
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    args = {k: v for k, v in {"action": action, "outcome": outcome, "q": search}.items() if v}
    return render(
        "auditlog/index.html",
        "auditlog/_table.html",
        page=page,
        actions=list(actions),
        action=action,
        outcome=outcome,
        search=search,
        args=args,
    )
