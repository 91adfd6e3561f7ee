"""Retention of the change log: records older than `CHANGE_RETENTION_DAYS` (default 400) are
deleted by the scheduler's daily job, in small batches each in its own short transaction, so
no sync or page waits behind a long lock.

Company renames are kept whatever their age: they are few (one per rename), and the Tag drift
view needs every former name of a company to find the tags that still carry it (R09, R19).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, select

from mspweb.extensions import db
from mspweb.models import ChangeKind, ChangeRecord

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 400

#: Records deleted per transaction.
PRUNE_BATCH = 2000

#: Kinds kept whatever their age.
KEPT_KINDS = (ChangeKind.COMPANY_RENAMED.value,)

_app: Flask | None = None


def retention_days() -> int:
    """The configured retention in days (at least 1)."""
    return max(1, int(current_app.config.get("CHANGE_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS))


def prune_changes(now: datetime | None = None, batch: int = PRUNE_BATCH, pause: float = 0.0) -> int:
    """Delete the change records older than the retention, `batch` at a time, committing
    after each batch (`pause` seconds between batches lets other writers in). Returns how
    many were deleted."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days())
    deleted = 0
    while True:
        db.session.rollback()
        db.session.connection(execution_options={"sqlite_immediate": True})
        ids = list(
            db.session.scalars(
                select(ChangeRecord.id)
                .where(ChangeRecord.created_at < cutoff, ChangeRecord.kind.not_in(KEPT_KINDS))
                .order_by(ChangeRecord.id)
                .limit(batch)
            )
        )
        if not ids:
            db.session.rollback()
            break
        db.session.execute(delete(ChangeRecord).where(ChangeRecord.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
        if pause:
            time.sleep(pause)
    if deleted:
        log.info("change log: %s records older than %s pruned", deleted, cutoff.date())
    return deleted


def prune_change_log(now: datetime | None = None) -> int:
    """The scheduler's daily job (``mspweb.changelog.retention.prune_change_log``): prune
    the change log in this process's app context (or an app built once for the process)."""
    if has_app_context():
        return prune_changes(now, pause=0.05)
    global _app
    if _app is None:
        from mspweb import create_app

        _app = create_app()
    with _app.app_context():
        return prune_changes(now, pause=0.05)
