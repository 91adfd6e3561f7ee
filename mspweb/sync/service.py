"""Sync runs: request one (R14), run one, watch it, recover dead ones, remove pools (R11).

Used by the web pages, the CLI, the RQ jobs and the scheduler. One run per account is queued
or running at a time: the partial unique index on ``sync_run`` guarantees it across
processes, and a request while one is active returns that run. The job is enqueued by its
dotted name, so the web process never imports the worker's code.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from mspweb import audit
from mspweb.crypto import decrypt_secret
from mspweb.extensions import db
from mspweb.models import (
    Account,
    AccountState,
    AuditEntry,
    Company,
    License,
    LicensePool,
    LicenseTag,
    PoolLicense,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    User,
)
from mspweb.models.sync import ACTIVE_STATUSES
from mspweb.portal import BusinessPortalClient, ClientSettings, MspPortalClient
from mspweb.sync.engine import (
    ExistingRows,
    RunTakenOver,
    apply_snapshot,
    count_licenses,
    finish_run,
    load_existing,
)
from mspweb.sync.fetch import Fetcher, SyncFailure
from mspweb.sync.heartbeat import Heartbeat, is_alive
from mspweb.sync.progress import Progress, describe
from mspweb.usage import refresh as usage_refresh  # issue 10

log = logging.getLogger(__name__)

JOB_FUNCTION = "mspweb.sync.jobs.sync_account"
"""The RQ job that runs a sync, by dotted name."""

WORKER_DIED = "The worker stopped during the sync (it was killed or lost); nothing was changed."
JOB_LOST = "The queued sync job was lost before a worker ran it (Redis was emptied or restarted)."

runs_t = SyncRun.__table__
accounts_t = Account.__table__


class SyncRefused(Exception):
    """A sync or pool removal cannot be done now; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RemovalResult:
    """What `remove_pools` removed."""

    pools: int
    licenses: int


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def job_id_for(run_id: int) -> str:
    """The RQ job id of sync run `run_id`."""
    return f"sync-run-{run_id}"


def immediate(connection: Connection) -> Connection:
    """`connection` set to begin its transactions with BEGIN IMMEDIATE on SQLite."""
    return connection.execution_options(sqlite_immediate=True)


def _begin_write() -> None:
    """Start a fresh session transaction that takes SQLite's write lock up front."""
    db.session.rollback()
    db.session.connection(execution_options={"sqlite_immediate": True})


# -- asking for a sync ------------------------------------------------------------------------
def active_run(account_id: int) -> SyncRun | None:
    """The account's queued or running sync run, if any."""
    return db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == account_id, SyncRun.status.in_(ACTIVE_STATUSES))
    ).first()


def _create_run(
    account_id: int, trigger: str, requested_by: User | None = None, scheduled_for=None
) -> tuple[SyncRun | None, bool]:
    """Insert a queued run; `(run, True)`, or `(the active run, False)` if there is one."""
    for _ in range(3):
        db.session.commit()
        _begin_write()
        run = SyncRun(
            account_id=account_id,
            trigger=trigger,
            status=SyncStatus.QUEUED.value,
            requested_by_id=requested_by.id if requested_by else None,
            scheduled_for=scheduled_for,
            phase="queued",
            created_at=utcnow(),
        )
        db.session.add(run)
        try:
            db.session.flush()
            run.job_id = job_id_for(run.id)
            db.session.commit()
            return run, True
        except IntegrityError:
            db.session.rollback()
        if scheduled_for is not None:
            return None, False
        existing = active_run(account_id)
        if existing is not None:
            return existing, False
    raise SyncRefused("Could not start a sync: the account's runs kept changing; try again.")


def _enqueue(run: SyncRun) -> None:
    """Put the run's job on the queue; a run that cannot be queued is marked failed."""
    try:
        current_app.sync_queue.enqueue(
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
        run, created = _create_run(account_id, trigger, requested_by)
        if created:
            _enqueue(run)
    audit.record_now(
        "sync.request",
        f"account {account_id} {name}",
        details={"run_id": run.id, "trigger": trigger, "new_run": created},
        user=requested_by,
    )
    return run


# -- running a sync ---------------------------------------------------------------------------
def client_settings(max_calls_per_second: float | None) -> ClientSettings:
    """The portal client's settings: the environment's, then the app's config, then the
    account's own rate limit."""
    config = current_app.config
    settings = ClientSettings.from_env()
    overrides = {
        name: config[key]
        for name, key in (
            ("max_attempts", "PORTAL_MAX_ATTEMPTS"),
            ("max_total_wait", "PORTAL_MAX_TOTAL_WAIT"),
            ("backoff_base", "PORTAL_BACKOFF_BASE"),
            ("read_timeout", "PORTAL_READ_TIMEOUT"),
            ("connect_timeout", "PORTAL_CONNECT_TIMEOUT"),
        )
        if config.get(key) is not None
    }
    overrides["max_calls_per_second"] = float(
        max_calls_per_second
        if max_calls_per_second is not None
        else config.get("PORTAL_MAX_CALLS_PER_SECOND", settings.max_calls_per_second)
    )
    return replace(settings, **overrides)


def _claim(run_id: int, job_id: str | None) -> bool:
    """Move a queued run to running; False if it is not queued any more."""
    now = utcnow()
    with immediate(db.engine.connect()) as connection, connection.begin():
        values = {
            "status": SyncStatus.RUNNING.value,
            "started_at": now,
            "heartbeat_at": now,
            "phase": "starting",
        }
        if job_id:
            values["job_id"] = job_id
        result = connection.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id, runs_t.c.status == "queued")
            .values(**values)
        )
        return result.rowcount == 1


def fail_run(run_id: int, account_id: int, message: str, credentials_invalid: bool = False) -> bool:
    """Mark an active run failed with `message`; returns False if it was no longer active."""
    now = utcnow()
    with immediate(db.engine.connect()) as connection, connection.begin():
        result = connection.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id, runs_t.c.status.in_(ACTIVE_STATUSES))
            .values(status=SyncStatus.FAILED.value, error=message, finished_at=now)
        )
        if result.rowcount != 1:
            return False
        values = {
            "last_sync_at": now,
            "last_sync_status": SyncStatus.FAILED.value,
            "last_sync_error": message,
        }
        if credentials_invalid:
            values["credentials_valid"] = False
        connection.execute(update(accounts_t).where(accounts_t.c.id == account_id).values(**values))
        audit_outcome(connection, run_id, account_id, "failed", {"error": message})
    return True


def audit_outcome(
    connection: Connection, run_id: int, account_id: int, outcome: str, details: dict
) -> None:
    """Audit how a run ended ("sync.finish", outcome "ok" or "failed"), in the transaction
    that ends it, in the name of whoever asked for the run (the system for daily runs)."""
    users_t = User.__table__
    requester = connection.execute(
        select(users_t.c.id, users_t.c.email)
        .join_from(runs_t, users_t, runs_t.c.requested_by_id == users_t.c.id)
        .where(runs_t.c.id == run_id)
    ).first()
    name = connection.scalar(select(accounts_t.c.name).where(accounts_t.c.id == account_id))
    connection.execute(
        insert(AuditEntry.__table__).values(
            action="sync.finish",
            target=f"account {account_id} {name or ''}".strip(),
            outcome=outcome,
            details={"run_id": run_id, **details},
            user_id=requester.id if requester else None,
            actor=requester.email if requester else "system",
        )
    )


def run_sync(
    account_id: int, trigger: str = SyncTrigger.MANUAL.value, run_id: int | None = None, job=None
) -> dict:
    """Run a sync of the account in this process and return its outcome as a dict.

    With `run_id`, the queued run is taken over (a run that is no longer queued is left
    alone: the result says "skipped"); without, a new run is created. Everything the portals
    return is read first; then one transaction applies it with the run's outcome. Any
    failure changes nothing and marks the run failed with the reason (R21).
    """
    if run_id is None:
        run, created = _create_run(account_id, trigger)
        if not created:
            return {
                "status": "skipped",
                "run_id": run.id,
                "reason": "another sync of this account is queued or running",
            }
        run_id = run.id
        db.session.commit()
    config = current_app.config
    heartbeat = Heartbeat(current_app.redis, run_id, config["SYNC_STALE_AFTER"]).start()
    try:
        if not _claim(run_id, job.id if job is not None else None):
            heartbeat.stop()
            return {"status": "skipped", "run_id": run_id, "reason": "the run is no longer queued"}
        return _run_claimed(account_id, run_id, job)
    finally:
        heartbeat.stop()


class _Preloader:
    """Loads the account's existing licenses and units in a thread while the portals are read."""

    def __init__(self, engine, account_id: int) -> None:
        self.engine = engine
        self.account_id = account_id
        self.rows: ExistingRows | None = None
        self.thread = threading.Thread(target=self._load, name=f"preload-{account_id}", daemon=True)

    def _load(self) -> None:
        try:
            with self.engine.connect() as connection:
                self.rows = load_existing(connection, self.account_id)
        except SQLAlchemyError:  # the apply transaction loads them itself
            log.warning("preloading account %s failed", self.account_id, exc_info=True)

    def start(self) -> _Preloader:
        """Start loading."""
        self.thread.start()
        return self

    def result(self) -> ExistingRows | None:
        """Wait for the rows (None if loading failed)."""
        self.thread.join()
        return self.rows


def _run_claimed(account_id: int, run_id: int, job) -> dict:
    engine = db.engine
    progress = Progress(engine, run_id, job)
    preloader: _Preloader | None = None
    try:
        account = db.session.get(Account, account_id)
        if account is None:
            raise SyncFailure("The account no longer exists.")
        root = db.session.get(Company, account.root_company_id) if account.root_company_id else None
        password = decrypt_secret(account.password_encrypted)
        settings = client_settings(account.max_calls_per_second)
        msp_url, business_url = account.msp_url, account.business_url
        skip_setup = bool(account.skip_setup_for_new)
        root_portal_id = root.portal_id if root is not None and root.source == "msp" else None
        username = account.username
        usage_plan = usage_refresh.plan_refresh(account_id)  # issue 10: usage ranges to read
        usage_fetch = None  # issue 10
        db.session.commit()  # end the read: the fetch takes long and holds no transaction
        with engine.connect() as connection:
            expected = count_licenses(connection, account_id)
        preloader = _Preloader(engine, account_id).start()
        fetcher = Fetcher(progress, expected)
        fetch_started = time.perf_counter()
        if msp_url:
            with MspPortalClient(msp_url, username, password, settings) as client:
                progress("companies", 0, None)
                fetcher.fetch_msp(client, root_portal_id)
                if usage_plan.refreshes:  # issue 10: the usage report, phase "usage" (R21)
                    usage_fetch = usage_refresh.fetch_usage(
                        client, usage_plan, progress, fetcher.snapshot
                    )
        if business_url:
            with BusinessPortalClient(business_url, username, password, settings) as client:
                progress("business", 0, None)
                fetcher.fetch_business(client)
        snapshot = fetcher.snapshot
        progress("applying", len(snapshot.msp_licenses) + len(snapshot.business_licenses), None)
        existing = preloader.result()
        fetch_seconds = time.perf_counter() - fetch_started
        now = utcnow()
        with immediate(engine.connect()) as connection, connection.begin():
            connection.execute(
                select(accounts_t.c.id).where(accounts_t.c.id == account_id).with_for_update()
            )
            counts, root_company_id = apply_snapshot(
                connection, account_id, snapshot, now, skip_setup, existing
            )
            # issue 10: usage rows in the same transaction (a failure changes nothing, R21)
            counts.rows_written += usage_refresh.apply_usage(
                connection, account_id, usage_fetch, now
            )
            finish_run(connection, run_id, account_id, counts, now, root_company_id)
            audit_outcome(connection, run_id, account_id, "ok", counts.as_dict())
        apply_seconds = time.perf_counter() - fetch_started - fetch_seconds
        from mspweb.usage.backfill import queue_backfill_if_due  # issue 10 (late: a cycle)

        queue_backfill_if_due(account_id)  # issue 10: once the first sync has succeeded
        log.info(
            "sync run %s of account %s: fetched in %.2f s, applied in %.2f s: %s",
            run_id,
            account_id,
            fetch_seconds,
            apply_seconds,
            counts.as_dict(),
        )
        return {"status": SyncStatus.SUCCEEDED.value, "run_id": run_id, **counts.as_dict()}
    except RunTakenOver:
        db.session.rollback()
        return {
            "status": "abandoned",
            "run_id": run_id,
            "reason": "the run was marked failed while it ran; nothing was saved",
        }
    except SyncFailure as failure:
        db.session.rollback()
        fail_run(run_id, account_id, failure.message, failure.credentials_invalid)
        return {"status": SyncStatus.FAILED.value, "run_id": run_id, "error": failure.message}
    except SQLAlchemyError as error:
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        message = _database_failure(error)
        if not _fail_run_patiently(run_id, account_id, message):
            raise error from None
        return {"status": SyncStatus.FAILED.value, "run_id": run_id, "error": message}
    except JobTimeoutException:
        db.session.rollback()
        message = (
            f"The sync took longer than {current_app.config['SYNC_JOB_TIMEOUT']} s "
            "(SYNC_JOB_TIMEOUT) and was stopped; nothing was saved."
        )
        fail_run(run_id, account_id, message)
        raise
    except (KeyboardInterrupt, SystemExit):
        db.session.rollback()
        fail_run(run_id, account_id, "The sync was interrupted; nothing was saved.")
        raise
    except Exception as error:  # anything else: the run must not stay "running"
        db.session.rollback()
        message = f"The sync failed unexpectedly; nothing was saved ({_first_line(error)})."
        log.exception("sync run %s failed", run_id)
        fail_run(run_id, account_id, message)
        return {"status": SyncStatus.FAILED.value, "run_id": run_id, "error": message}
    finally:
        if preloader is not None:
            preloader.result()


def _database_failure(error: SQLAlchemyError) -> str:
    """Why the sync failed, when the database did: unreachable, or refusing the changes."""
    lost = isinstance(error, OperationalError) or getattr(error, "connection_invalidated", False)
    if lost:
        return (
            "The database was unavailable during the sync; nothing was saved "
            f"({_first_line(error)})."
        )
    return f"The database refused the changes; nothing was saved ({_first_line(error)})."


def _fail_run_patiently(run_id: int, account_id: int, message: str) -> bool:
    """Mark the run failed, trying again for up to `SYNC_DB_RETRY_SECONDS` while the database
    is unavailable (it is often back within moments). False if it never came back: the run's
    heartbeat then expires and `refresh_stale_runs` fails the run instead."""
    deadline = time.monotonic() + float(current_app.config.get("SYNC_DB_RETRY_SECONDS", 15))
    delay = 0.25
    while True:
        try:
            fail_run(run_id, account_id, message)
            return True
        except SQLAlchemyError:
            if time.monotonic() + delay > deadline:
                log.exception("sync run %s: cannot mark it failed", run_id)
                return False
            log.warning(
                "sync run %s: the database is unavailable; trying again in %.1f s", run_id, delay
            )
            time.sleep(delay)
            delay = min(delay * 2, 4.0)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__


def run_inline(account: Account, requested_by: User | None = None) -> dict:
    """Run a sync of `account` in this process, taking over its queued run if it has one."""
    account_id = account.id
    refresh_stale_runs(account_id)
    run = active_run(account_id)
    if run is not None and run.status == SyncStatus.RUNNING:
        raise SyncRefused(f"A sync of this account is already running (run {run.id}).")
    if run is None:
        run, created = _create_run(account_id, SyncTrigger.MANUAL.value, requested_by)
        if not created and run.status == SyncStatus.RUNNING:
            raise SyncRefused(f"A sync of this account is already running (run {run.id}).")
    run_id, job_id, trigger = run.id, run.job_id, run.trigger
    audit.record_now(
        "sync.request",
        f"account {account_id} {account.name}",
        details={"run_id": run_id, "trigger": trigger, "inline": True},
        user=requested_by,
    )
    _cancel_job(job_id)
    return run_sync(account_id, trigger, run_id)


def _cancel_job(job_id: str | None) -> None:
    if not job_id:
        return
    try:
        Job.fetch(job_id, connection=current_app.redis).cancel()
    except Exception:  # best effort: the job may be gone, running or finished
        log.debug("could not cancel job %s", job_id, exc_info=True)


# -- watching and recovering ------------------------------------------------------------------
def _job_status(job_id: str | None) -> str | None:
    """The RQ status of a job ("queued", "started", "failed"...), or None if it is gone."""
    if not job_id:
        return None
    try:
        return Job.fetch(job_id, connection=current_app.redis).get_status(refresh=False)
    except NoSuchJobError:
        return None


def refresh_stale_runs(account_id: int | None = None) -> int:
    """Mark failed the active runs that cannot finish any more; returns how many.

    A running run whose heartbeat expired lost its process (the worker died); a queued run
    whose job is gone or failed before starting will never run. Either way the account can
    be synchronized again.
    """
    query = select(
        runs_t.c.id, runs_t.c.account_id, runs_t.c.status, runs_t.c.job_id, runs_t.c.created_at
    ).where(runs_t.c.status.in_(ACTIVE_STATUSES))
    if account_id is not None:
        query = query.where(runs_t.c.account_id == account_id)
    with db.engine.connect() as connection:
        active = connection.execute(query).all()
    if not active:
        return 0
    redis = current_app.redis
    grace = timedelta(seconds=current_app.config.get("SYNC_QUEUE_GRACE", 10))
    now = utcnow()
    failed = 0
    for run in active:
        reason = None
        if run.status == SyncStatus.RUNNING:
            if not is_alive(redis, run.id):
                reason = WORKER_DIED
        else:
            status = _job_status(run.job_id)
            if status is None and now - run.created_at > grace:
                reason = JOB_LOST
            elif status in ("failed", "stopped", "canceled"):
                reason = f"The sync job {status} before it started."
            elif status == "finished":
                reason = "The sync job ended without running the sync."
        if reason and fail_run(run.id, run.account_id, reason):
            failed += 1
            log.warning(
                "sync run %s of account %s marked failed: %s", run.id, run.account_id, reason
            )
    return failed


def run_progress(run: SyncRun) -> dict:
    """How far `run` got, for the polling fragment:
    ``{"status", "phase", "done", "total", "percent", "message"}``."""
    phase, done, total = run.phase, run.progress_done or 0, run.progress_total
    if run.status == SyncStatus.RUNNING and run.job_id:
        try:
            meta = Job.fetch(run.job_id, connection=current_app.redis).get_meta(refresh=True)
        except (NoSuchJobError, RedisError):
            meta = {}
        if meta.get("phase"):
            phase, done, total = meta["phase"], meta.get("done") or 0, meta.get("total")
    if run.status == SyncStatus.SUCCEEDED:
        percent = 100
        message = (
            f"Synchronized: {run.licenses_added} licenses added, "
            f"{run.licenses_changed} changed, {run.licenses_removed} removed; "
            f"{run.companies_added} companies added, {run.companies_unlinked} unlinked."
        )
    elif run.status == SyncStatus.FAILED:
        percent = 100
        message = f"Failed: {run.error or 'unknown error'}"
    elif run.status == SyncStatus.QUEUED:
        percent, message = 0, describe("queued", 0, None)
    else:
        percent = _percent(phase, done, total)
        message = describe(phase, done, total)
    return {
        "status": run.status,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": percent,
        "message": message,
    }


def _percent(phase: str | None, done: int, total: int | None) -> int:
    share = min(1.0, done / total) if total else 0.0
    ranges = {
        "starting": (0, 2),
        "companies": (2, 10),
        "licenses": (10, 85),
        "business": (85, 95),
        "usage": (85, 95),  # issue 10: the usage report
        "applying": (95, 99),
        "done": (100, 100),
    }
    low, high = ranges.get(phase or "", (0, 0))
    return int(low + (high - low) * share)


# -- removing pools (R11) ---------------------------------------------------------------------
def pool_removal_preview(account: Account) -> tuple[int, int]:
    """How many pools and licenses `remove_pools` would delete (for the confirmation)."""
    pools = (
        db.session.scalar(
            select(func.count(LicensePool.id)).where(LicensePool.account_id == account.id)
        )
        or 0
    )
    licenses = (
        db.session.scalar(select(func.count(License.id)).where(License.account_id == account.id))
        or 0
    )
    return pools, licenses


def remove_pools(account_id: int, requested_by: User | None = None) -> RemovalResult:
    """Delete every pool of the account and their licenses in one transaction (R11).

    Its companies become unlinked (R15), the account is disconnected (no more daily syncs).
    Refused while a sync of the account is running; a queued one is cancelled.
    """
    refresh_stale_runs(account_id)
    db.session.commit()
    target = f"account {account_id}"
    try:
        result = _remove_pools(account_id)
    except SyncRefused as refusal:
        audit.record_now(
            "pools.remove", target, "refused", {"reason": refusal.message}, user=requested_by
        )
        raise
    audit.record_now(
        "pools.remove",
        target,
        details={"pools": result.pools, "licenses": result.licenses},
        user=requested_by,
    )
    return result


def _remove_pools(account_id: int) -> RemovalResult:
    now = utcnow()
    queued_jobs: list[str] = []
    with immediate(db.engine.connect()) as connection, connection.begin():
        exists = connection.scalar(
            select(accounts_t.c.id).where(accounts_t.c.id == account_id).with_for_update()
        )
        if exists is None:
            raise SyncRefused(f"There is no account {account_id}.")
        active = connection.execute(
            select(runs_t.c.id, runs_t.c.status, runs_t.c.job_id).where(
                runs_t.c.account_id == account_id, runs_t.c.status.in_(ACTIVE_STATUSES)
            )
        ).all()
        if any(run.status == SyncStatus.RUNNING for run in active):
            raise SyncRefused(
                "A sync of this account is running; remove the pools once it has finished."
            )
        for run in active:
            queued_jobs.append(run.job_id)
            connection.execute(
                update(runs_t)
                .where(runs_t.c.id == run.id)
                .values(
                    status=SyncStatus.FAILED.value,
                    finished_at=now,
                    error="Cancelled: the account's pools were removed.",
                )
            )
        pools_t, licenses_t = LicensePool.__table__, License.__table__
        license_ids = select(licenses_t.c.id).where(licenses_t.c.account_id == account_id)
        pool_ids = select(pools_t.c.id).where(pools_t.c.account_id == account_id)
        pools = connection.scalar(select(func.count()).select_from(pool_ids.subquery()))
        licenses = connection.scalar(select(func.count()).select_from(license_ids.subquery()))
        connection.execute(
            delete(LicenseTag.__table__).where(LicenseTag.__table__.c.license_id.in_(license_ids))
        )
        connection.execute(
            delete(PoolLicense.__table__).where(PoolLicense.__table__.c.pool_id.in_(pool_ids))
        )
        connection.execute(delete(pools_t).where(pools_t.c.account_id == account_id))
        connection.execute(delete(licenses_t).where(licenses_t.c.account_id == account_id))
        companies_t = Company.__table__
        connection.execute(
            update(companies_t)
            .where(companies_t.c.account_id == account_id, companies_t.c.unlinked_at.is_(None))
            .values(unlinked_at=now)
        )
        connection.execute(
            update(companies_t)
            .where(companies_t.c.account_id == account_id, companies_t.c.in_license_tree.is_(True))
            .values(in_license_tree=False)
        )
        connection.execute(
            update(accounts_t)
            .where(accounts_t.c.id == account_id)
            .values(state=AccountState.DISCONNECTED.value)
        )
    for job_id in queued_jobs:
        _cancel_job(job_id)
    return RemovalResult(pools=pools or 0, licenses=licenses or 0)


# -- the daily sync (R13) ---------------------------------------------------------------------
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
        run, is_new = _create_run(account_id, SyncTrigger.SCHEDULED.value, scheduled_for=today)
        if not is_new:
            continue
        _enqueue(run)
        audit.record_now(
            "sync.request",
            f"account {account_id}",
            details={"run_id": run.id, "new_run": True, "trigger": SyncTrigger.SCHEDULED.value},
        )
        created += 1
    return created
