"""The daily sync (R13): one scheduled run per active account per day."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from mspweb import audit
from mspweb.extensions import db
from mspweb.models import Account, AccountState, SyncRun, SyncTrigger
from mspweb.sync.lifecycle import create_run, utcnow
from mspweb.sync.queueing import enqueue
from mspweb.sync.recovery import refresh_stale_runs


def create_daily_runs(now: datetime | None = None) -> int:
    """Queue today's scheduled sync for each active account that has none yet (R13).

    Nothing happens before `DAILY_SYNC_HOUR` (UTC). The unique (account, day) constraint
    makes any number of schedulers create one run per account per day; an account whose
    sync is running now gets its daily run at the scheduler's next pass.
    """
    refresh_stale_runs()
    now = now or utcnow()
    if now.hour < current_app.config["DAILY_SYNC_HOUR"]:
        return 0
    today = now.date()
    done_today = select(SyncRun.account_id).where(SyncRun.scheduled_for == today)
    account_ids = db.session.scalars(
        select(Account.id)
        .where(Account.state == AccountState.ACTIVE.value, Account.id.not_in(done_today))
        .order_by(Account.id)
    ).all()
    created = 0
    for account_id in account_ids:
        run, is_new = create_run(account_id, SyncTrigger.SCHEDULED.value, scheduled_for=today)
        if run is None or not is_new:
            continue
        enqueue(run)
        audit.record_now(
            "sync.request",
            f"account {account_id}",
            details={"run_id": run.id, "new_run": True, "trigger": SyncTrigger.SCHEDULED.value},
        )
        created += 1
    return created
