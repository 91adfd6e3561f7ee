"""The usage backfill's RQ job, enqueued by dotted name (``mspweb.usage.jobs.backfill_account``)."""

from __future__ import annotations

import os

from rq import get_current_job

from mspweb.sync.jobs import _in_app_context


def backfill_account(account_id: int, run_id: int) -> dict:
    """Backfill the account's usage history (its own run in Sync history)."""
    from mspweb.usage.backfill import run_backfill

    job = get_current_job()
    if job is not None:
        job.meta.update(pid=os.getpid(), run_id=run_id, phase="usage")
        job.save_meta()
    return _in_app_context(lambda: run_backfill(account_id, run_id, job))
