"""The usage backfill: 13 months (``USAGE_BACKFILL_MONTHS``) of history, as a run of its own.

The backfill is a :class:`SyncRun` with trigger ``"backfill"``, so it shows in Sync history
and is claimed like a sync: the partial unique index "one active run per account" keeps a
backfill and a sync of the same account from running at once (both write the account's
usage rows), without any lock of its own. A sync asked for while the backfill runs gets the
backfill's run (as it would get another sync's); the daily run is queued at the scheduler's
next pass. It is queued once the import's first sync has succeeded (so licenses show at
once); if the import's sync or the backfill failed, after the next successful sync.

It reads one report range per month (the current month so far, then each month back), each
ending on a month's last day, so that every month's seats bought on its last day are known:
at most ``months + 1`` ranges of ``ceil(companies / 100)`` calls. Everything is written in
one transaction with the run's outcome (R21).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from mspweb import audit
from mspweb.crypto import decrypt_secret
from mspweb.extensions import db
from mspweb.models import Account, AuditEntry, SyncRun, SyncStatus, User
from mspweb.models.sync import ACTIVE_STATUSES
from mspweb.models.usage import UsageStatus
from mspweb.portal import MspPortalClient
from mspweb.portal_config import client_settings
from mspweb.sync.fetch import SyncFailure
from mspweb.sync.heartbeat import Heartbeat
from mspweb.sync.lifecycle import fail_run
from mspweb.sync.progress import Progress
from mspweb.usage.refresh import UsageFetch, UsagePlan, fetch_usage, utc_today
from mspweb.usage.store import (
    UsageWriter,
    add_months,
    apply_report_range,
    company_ids_by_portal_id,
    month_end,
    month_start,
)

log = logging.getLogger(__name__)

TRIGGER = "backfill"
JOB_FUNCTION = "mspweb.usage.jobs.backfill_account"
runs_t = SyncRun.__table__
status_t = UsageStatus.__table__


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def backfill_plan(account_id: int, months: int, today=None) -> UsagePlan:
    """The backfill's ranges: this month so far, then `months` whole months back."""
    today = today or utc_today()
    plan = UsagePlan(account_id, today)
    plan.ranges.append((month_start(today), today))
    for back in range(1, months + 1):
        first = add_months(today, -back)
        plan.ranges.append((first, month_end(first)))
    plan.month_end = month_start(today) - timedelta(days=1)
    return plan


def needs_backfill(account_id: int) -> bool:
    """True when the account should get its backfill queued now: it has an MSP portal, was
    imported (it has an import run), has no backfilled history, and no backfill run is
    queued, running or succeeded (a failed one is tried again after the next good sync)."""
    account = db.session.get(Account, account_id)
    if account is None or not account.msp_url:
        return False
    status = db.session.get(UsageStatus, account_id)
    if status is not None and status.backfilled_at is not None:
        return False
    triggers = db.session.execute(
        select(SyncRun.trigger, SyncRun.status)
        .where(SyncRun.account_id == account_id, SyncRun.trigger.in_(("import", TRIGGER)))
        .order_by(SyncRun.id.desc())
    ).all()
    if not any(trigger == "import" for trigger, _ in triggers):
        return False
    last_backfill = next((status for trigger, status in triggers if trigger == TRIGGER), None)
    return last_backfill in (None, SyncStatus.FAILED.value)


def create_backfill_run(account_id: int, requested_by_id: int | None = None) -> SyncRun | None:
    """Insert a queued backfill run; None when another run of the account is active."""
    db.session.commit()
    run = SyncRun(
        account_id=account_id,
        trigger=TRIGGER,
        status=SyncStatus.QUEUED.value,
        requested_by_id=requested_by_id,
        phase="queued",
        created_at=utcnow(),
    )
    db.session.add(run)
    try:
        db.session.flush()
        run.job_id = f"backfill-{run.id}"
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def queue_backfill_if_due(account_id: int) -> SyncRun | None:
    """After a successful sync: queue the account's backfill if it has none yet. Never
    raises: a backfill that cannot be queued now is queued after the next successful sync."""
    try:
        return _queue_backfill(account_id)
    except (SQLAlchemyError, RedisError):
        db.session.rollback()
        log.warning("account %s: the usage backfill could not be queued", account_id, exc_info=True)
        return None


def _queue_backfill(account_id: int) -> SyncRun | None:
    if not needs_backfill(account_id):
        db.session.rollback()
        return None
    requester_id = db.session.scalar(  # in the name of whoever imported the account
        select(SyncRun.requested_by_id)
        .where(SyncRun.account_id == account_id, SyncRun.trigger == "import")
        .order_by(SyncRun.id)
        .limit(1)
    )
    run = create_backfill_run(account_id, requester_id)
    if run is None:
        return None
    try:
        current_app.sync_queue.enqueue(  # type: ignore[attr-defined]
            JOB_FUNCTION,
            account_id,
            run.id,
            job_id=run.job_id,
            job_timeout=current_app.config["SYNC_JOB_TIMEOUT"],
            result_ttl=7 * 86400,
            failure_ttl=7 * 86400,
            description=f"usage backfill of account {account_id}",
        )
    except RedisError as error:
        fail_run(run.id, account_id, f"The usage backfill could not be queued: {error}.")
    requester = db.session.get(User, requester_id) if requester_id else None
    target = f"account {account_id}"
    audit.record_now("usage.backfill.request", target, details={"run_id": run.id}, user=requester)
    return run


def run_inline(account_id: int) -> dict:
    """Run the account's backfill in this process (taking over a queued backfill run)."""
    run = db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == account_id, SyncRun.status.in_(ACTIVE_STATUSES))
    ).first()
    if run is not None and (run.status != SyncStatus.QUEUED or run.trigger != TRIGGER):
        return {
            "status": SyncStatus.FAILED.value,
            "error": f"Another run of this account is {run.status} (run {run.id}); try later.",
        }
    if run is None:
        run = create_backfill_run(account_id)
        if run is None:
            return {"status": SyncStatus.FAILED.value, "error": "Another run started; try later."}
    return run_backfill(account_id, run.id)


def _claim(run_id: int, job_id: str | None) -> bool:
    now = utcnow()
    with db.engine.begin() as connection:
        values = {"status": "running", "started_at": now, "heartbeat_at": now, "phase": "usage"}
        if job_id:
            values["job_id"] = job_id
        result = connection.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id, runs_t.c.status == "queued")
            .values(**values)
        )
        return result.rowcount == 1


def run_backfill(account_id: int, run_id: int, job=None) -> dict:
    """Run backfill run `run_id`: read every range, then write them with the run's outcome."""
    config = current_app.config
    redis = current_app.redis  # type: ignore[attr-defined]
    heartbeat = Heartbeat(redis, run_id, config["SYNC_STALE_AFTER"]).start()
    try:
        if not _claim(run_id, job.id if job is not None else None):
            return {"status": "skipped", "run_id": run_id, "reason": "the run is not queued"}
        return _run_claimed(account_id, run_id, job)
    finally:
        heartbeat.stop()


def _run_claimed(account_id: int, run_id: int, job) -> dict:
    engine = db.engine
    progress = Progress(engine, run_id, job)
    try:
        account = db.session.get(Account, account_id)
        if account is None or not account.msp_url:
            raise SyncFailure("The account has no MSP portal: there is no usage report to read.")
        password = decrypt_secret(account.password_encrypted)
        settings = client_settings(account.max_calls_per_second)
        url, username = account.msp_url, account.username
        plan = backfill_plan(account_id, int(config_months()))
        db.session.commit()
        with MspPortalClient(url, username, password, settings) as client:
            fetched: UsageFetch = fetch_usage(client, plan, progress)
            calls, retries = client.stats.calls, client.stats.retries
        progress("applying", 0, None)
        now = utcnow()
        with engine.begin() as connection:
            writer = UsageWriter(connection, account_id, now)
            company_ids = company_ids_by_portal_id(connection, account_id)
            for (first, last), companies in fetched.reports:
                apply_report_range(writer, companies, first, last, plan.today, company_ids)
            writer.flush()
            _mark_backfilled(connection, account_id, plan, now)
            counts = {"rows_written": writer.rows_written, "portal_calls": calls,
                      "portal_retries": retries}  # fmt: skip
            result = connection.execute(
                update(runs_t)
                .where(runs_t.c.id == run_id, runs_t.c.status == "running")
                .values(
                    status="succeeded",
                    finished_at=now,
                    heartbeat_at=now,
                    phase="done",
                    progress_done=len(plan.ranges),
                    progress_total=len(plan.ranges),
                    **counts,
                )  # fmt: skip
            )
            if result.rowcount != 1:
                raise SyncFailure("The backfill run was marked failed while it ran.")
            connection.execute(
                insert(AuditEntry.__table__).values(
                    action="usage.backfill",
                    target=f"account {account_id}",
                    outcome="ok",
                    details={"run_id": run_id, **counts},
                    **_requester(connection, run_id),
                )
            )
        return {"status": SyncStatus.SUCCEEDED.value, "run_id": run_id, **counts}
    except SyncFailure as failure:
        db.session.rollback()
        fail_run(run_id, account_id, failure.message, failure.credentials_invalid)
        return {"status": SyncStatus.FAILED.value, "run_id": run_id, "error": failure.message}
    except (SQLAlchemyError, OSError, ValueError) as error:
        db.session.rollback()
        message = f"The usage backfill failed; nothing was saved ({type(error).__name__}: {error})"
        log.exception("backfill run %s failed", run_id)
        fail_run(run_id, account_id, message[:2000])
        return {"status": SyncStatus.FAILED.value, "run_id": run_id, "error": message}


def _requester(connection, run_id: int) -> dict:
    """The audit entry's user and actor: whoever asked for the run (the system if nobody)."""
    users_t = User.__table__
    row = connection.execute(
        select(users_t.c.id, users_t.c.email)
        .join_from(runs_t, users_t, runs_t.c.requested_by_id == users_t.c.id)
        .where(runs_t.c.id == run_id)
    ).first()
    return {"user_id": row.id, "actor": row.email} if row else {"actor": "system"}


def config_months() -> int:
    """How many months back the backfill reads (``USAGE_BACKFILL_MONTHS``)."""
    return int(current_app.config.get("USAGE_BACKFILL_MONTHS", 13))


def _mark_backfilled(connection, account_id: int, plan: UsagePlan, now: datetime) -> None:
    values = {
        "backfilled_at": now,
        "backfilled_from": plan.ranges[-1][0],
        "final_through": plan.today - timedelta(days=1),
        "month_end_through": plan.month_end,
    }
    exists = connection.scalar(
        select(status_t.c.account_id).where(status_t.c.account_id == account_id)
    )
    if exists is None:
        connection.execute(insert(status_t).values(account_id=account_id, **values))
    else:
        connection.execute(
            update(status_t).where(status_t.c.account_id == account_id).values(**values)
        )
