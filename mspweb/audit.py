"""The audit log helper: one call records who did what, also when it failed.

``record`` adds an :class:`~mspweb.models.AuditEntry` to the session; the caller commits it
with its own change (or alone, with ``commit=True``, e.g. after a rollback).
"""

from __future__ import annotations

from flask import has_request_context, request

from mspweb.database import begin_write
from mspweb.extensions import db
from mspweb.models import AuditEntry, User


def record(
    action: str,
    target: str | None,
    outcome: str = "ok",
    details: dict | None = None,
    user: User | None = None,
    *,
    commit: bool = False,
) -> AuditEntry:
    """Audit `action` on `target` by `user` (None: the system); commit it when asked."""
    entry = AuditEntry(
        action=action,
        target=(target or "")[:512] or None,
        outcome=outcome,
        details=details,
        user_id=user.id if user is not None else None,
        actor=user.email if user is not None else "system",
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def record_now(
    action: str,
    target: str | None,
    outcome: str = "ok",
    details: dict | None = None,
    user: User | None = None,
) -> AuditEntry:
    """Commit pending work, then record and commit the entry in a transaction of its own that
    takes SQLite's write lock up front (so concurrent requests queue instead of failing)."""
    begin_write(db.session, keep_pending=True)
    return record(action, target, outcome, details, user, commit=True)
