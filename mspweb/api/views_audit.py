"""`/api/v1/audit`: the audit log, newest first (administrators only)."""

from __future__ import annotations

from sqlalchemy import select

from mspweb.api.blueprint import bp
from mspweb.api.paging import ok, page_info, require_admin
from mspweb.api.schemas import AuditList, AuditQuery
from mspweb.api.spec import responses, spec
from mspweb.models import AuditEntry
from mspweb.pagination import paginate


@bp.get("/audit")
@spec.validate(query=AuditQuery, resp=responses(200, AuditList, 403), tags=["audit"])
def list_audit(query: AuditQuery):
    """Audited actions, newest first; `action` keeps one kind (e.g. token.create)."""
    require_admin()
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if query.action:
        statement = statement.where(AuditEntry.action == query.action)
    page = paginate(statement, query.page, query.per_page)
    items = [
        {
            "id": entry.id,
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "outcome": entry.outcome,
            "details": entry.details,
        }
        for entry in page.items
    ]
    return ok({"items": items, **page_info(page, query.model_dump(exclude_defaults=True))})
