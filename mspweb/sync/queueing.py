"""Asking for a sync (R14): one run per account is queued or running at a time.

The partial unique index on ``sync_run`` guarantees it across processes; a request while one
is active returns that run. The job is enqueued by its dotted name (:data:`JOB_FUNCTION`), so
the web process never imports the worker's code.
"""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq.job import Job

from mspweb import audit
from mspweb.extensions import db
from mspweb.models import Account, SyncRun, SyncTrigger, User
from mspweb.sync.lifecycle import active_run, create_run, fail_run
from mspweb.sync.recovery import refresh_stale_runs

log = logging.getLogger(__name__)

JOB_FUNCTION = "mspweb.sync.jobs.sync_account"
"""The RQ job that runs a sync, by dotted name."""


def enqueue(run: SyncRun) -> None:
    """Put the run's job on the queue; a run that cannot be queued is marked failed."""
    try:
        current_app.sync_queue.enqueue(  # type: ignore[attr-defined]
            JOB_FUNCTION,
            run.account_id,
            run.trigger,
            run.id,
            job_id=run.job_id,
            job_timeout=current_app.config["SYNC_JOB_TIMEOUT"],
            result_ttl=7 * 86400,
            failure_ttl=7 * 86400,
            description=f"sync account {run.account_id} ({run.trigger})",
        )
    except RedisError as error:
        fail_run(
            run.id, run.account_id, f"The sync could not be queued: Redis is unavailable ({error})."
        )
        db.session.refresh(run)


def cancel_job(job_id: str | None) -> None:
    """Cancel the RQ job `job_id`, best effort (it may be gone, running or finished)."""
    if not job_id:
        return
    try:
        Job.fetch(job_id, connection=current_app.redis).cancel()  # type: ignore[attr-defined]
    except Exception:  # best effort: the job may be gone, running or finished
        log.debug("could not cancel job %s", job_id, exc_info=True)


def request_sync(
    account: Account, trigger: str = SyncTrigger.MANUAL.value, requested_by: User | None = None
) -> SyncRun:
    """Queue a sync of `account`, or return the one already queued or running (R14).

    Commits the session (the run must be visible to other processes before its job runs).
    A disconnected account (its pools were removed) is reconnected by a successful sync.
    """
    account_id, name = account.id, account.name
    refresh_stale_runs(account_id)
    run = active_run(account_id)
    created = False
    if run is None:
        new_run, created = create_run(account_id, trigger, requested_by)
        assert new_run is not None  # only a scheduled request can find none
        run = new_run
        if created:
            enqueue(run)
    audit.record_now(
        "sync.request",
        f"account {account_id} {name}",
        details={"run_id": run.id, "trigger": trigger, "new_run": created},
        user=requested_by,
    )
    return run
