"""Recovering runs that cannot finish any more: a dead worker, a lost or failed job.

A running run whose heartbeat (:mod:`.heartbeat`) expired lost its process; a queued run whose
RQ job is gone or failed before starting will never run. Both are marked failed (through
:mod:`.lifecycle`) so that the account can be synchronized again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import SyncStatus
from mspweb.models.sync import ACTIVE_STATUSES
from mspweb.sync.heartbeat import is_alive
from mspweb.sync.lifecycle import fail_run, runs_t, utcnow

log = logging.getLogger(__name__)

WORKER_DIED = "The worker stopped during the sync (it was killed or lost); nothing was changed."
JOB_LOST = "The queued sync job was lost before a worker ran it (Redis was emptied or restarted)."


def job_status(job_id: str | None) -> str | None:
    """The RQ status of a job ("queued", "started", "failed"...), or None if it is gone."""
    if not job_id:
        return None
    try:
        job = Job.fetch(job_id, connection=current_app.redis)  # type: ignore[attr-defined]
        return str(job.get_status(refresh=False))
    except NoSuchJobError:
        return None


def _reason(run_status: str, run_id: int, job_id: str | None, age: timedelta) -> str | None:
    """Why an active run cannot finish any more, or None while it still may."""
    if run_status == SyncStatus.RUNNING:
        return None if is_alive(current_app.redis, run_id) else WORKER_DIED  # type: ignore[attr-defined]
    grace = timedelta(seconds=current_app.config.get("SYNC_QUEUE_GRACE", 10))
    status = job_status(job_id)
    if status is None and age > grace:
        return JOB_LOST
    if status in ("failed", "stopped", "canceled"):
        return f"The sync job {status} before it started."
    if status == "finished":
        return "The sync job ended without running the sync."
    return None


def refresh_stale_runs(account_id: int | None = None) -> int:
    """Mark failed the active runs that cannot finish any more; returns how many."""
    query = select(
        runs_t.c.id, runs_t.c.account_id, runs_t.c.status, runs_t.c.job_id, runs_t.c.created_at
    ).where(runs_t.c.status.in_(ACTIVE_STATUSES))
    if account_id is not None:
        query = query.where(runs_t.c.account_id == account_id)
    with db.engine.connect() as connection:
        active = connection.execute(query).all()
    now = utcnow()
    failed = 0
    for run in active:
        reason = _reason(run.status, run.id, run.job_id, now - run.created_at)
        if reason and fail_run(run.id, run.account_id, reason):
            failed += 1
            log.warning(
                "sync run %s of account %s marked failed: %s", run.id, run.account_id, reason
            )
    return failed
