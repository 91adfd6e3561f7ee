"""The RQ job functions, enqueued by dotted name (``mspweb.sync.jobs.sync_account``).

Each job runs inside an app context: the worker's (``python -m mspweb.worker``) when there is
one, else an app this module builds once per process, so that a plain ``rq worker`` works too.
Connections inherited across the work horse's fork are never reused (:mod:`.forksafe`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, has_app_context
from rq import get_current_job

T = TypeVar("T")

_app: Flask | None = None


def _in_app_context(work: Callable[[], T]) -> T:
    """Run `work` in the current app context, or in this process's own app."""
    if has_app_context():
        return work()
    global _app
    if _app is None:
        from mspweb import create_app

        _app = create_app()
    with _app.app_context():
        return work()


def sync_account(account_id: int, trigger: str, sync_run_id: int | None = None) -> dict[str, Any]:
    """Synchronize one account (R13, R14); returns the run's outcome and counts."""
    from mspweb.sync.runner import run_sync

    job = get_current_job()
    if job is not None:
        job.meta.update(pid=os.getpid(), run_id=sync_run_id, phase="starting")
        job.save_meta()  # type: ignore[no-untyped-call]
    return _in_app_context(lambda: run_sync(account_id, trigger, sync_run_id, job))


def schedule_daily_syncs(now: datetime | None = None) -> int:
    """Queue today's sync of every active account that has none yet (R13); run by the
    scheduler every few minutes. Returns how many runs it queued."""
    from mspweb.sync.scheduling import create_daily_runs

    return _in_app_context(lambda: create_daily_runs(now))
