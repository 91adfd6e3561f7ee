"""Running one sync run in this process: claim it, read the portals, apply, finish (R21).

The run goes: :func:`run_sync` claims the queued run (or creates one), keeps its heartbeat,
and hands it to :func:`run_claimed`, which reads the account (:func:`read_account`), the
portals (:func:`fetch_portals`, no transaction open), then writes everything in ONE
transaction (:func:`apply_in_transaction`) and, once committed, calls
:func:`after_commit`. Any failure changes nothing and marks the run failed with the reason.

Seams for more work in a sync: what must be read from the portals goes in
:func:`fetch_portals`; what must be written with the data goes in
:func:`apply_in_transaction` (it sees the snapshot and the counts); what must happen only
once the data is committed (events, mail) goes in :func:`after_commit`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from rq.timeouts import JobTimeoutException
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from mspweb import audit
from mspweb.crypto import decrypt_secret
from mspweb.extensions import db
from mspweb.models import Account, Company, SyncStatus, SyncTrigger, User
from mspweb.portal import BusinessPortalClient, ClientSettings, MspPortalClient
from mspweb.portal_config import client_settings
from mspweb.sync.changes import ChangeLog
from mspweb.sync.counts import SyncCounts
from mspweb.sync.engine import ApplyState, count_licenses, finish_apply
from mspweb.sync.fetch import CHUNK, Fetcher, LicensesCallback, Snapshot, SyncFailure
from mspweb.sync.gcpause import paused_collection
from mspweb.sync.heartbeat import Heartbeat
from mspweb.sync.lifecycle import (
    RunTakenOver,
    SyncRefused,
    active_run,
    claim_run,
    create_run,
    fail_run,
    finish_run,
    utcnow,
)
from mspweb.sync.preload import Preloader
from mspweb.sync.progress import Progress
from mspweb.sync.queueing import cancel_job
from mspweb.sync.recovery import refresh_stale_runs
from mspweb.sync.statistics import refresh_statistics
from mspweb.sync.transaction import ApplyTransaction
from mspweb.usage.refresh import UsageFetch, apply_usage, fetch_usage, plan_refresh

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountToSync:
    """What a run needs of its account, read once before the fetch (no ORM object kept)."""

    account_id: int
    run_id: int
    msp_url: str | None
    business_url: str | None
    username: str
    password: str
    settings: ClientSettings
    skip_setup_for_new: bool
    root_portal_id: str | None


def run_sync(
    account_id: int,
    trigger: str = SyncTrigger.MANUAL.value,
    run_id: int | None = None,
    job: Any = None,
) -> dict[str, Any]:
    """Run a sync of the account in this process and return its outcome as a dict.

    With `run_id`, the queued run is taken over (a run that is no longer queued is left
    alone: the result says "skipped"); without, a new run is created.
    """
    if run_id is None:
        run, created = create_run(account_id, trigger)
        if run is None or not created:
            return {
                "status": "skipped",
                "run_id": run.id if run is not None else None,
                "reason": "another sync of this account is queued or running",
            }
        run_id = run.id
        db.session.commit()
    config = current_app.config
    redis = current_app.redis  # type: ignore[attr-defined]
    heartbeat = Heartbeat(redis, run_id, config["SYNC_STALE_AFTER"]).start()
    try:
        if not claim_run(run_id, job.id if job is not None else None):
            return {"status": "skipped", "run_id": run_id, "reason": "the run is no longer queued"}
        return run_claimed(account_id, run_id, job)
    finally:
        heartbeat.stop()


def read_account(account_id: int, run_id: int) -> AccountToSync:
    """Read what the run needs of the account, then end the read transaction."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise SyncFailure("The account no longer exists.")
    root = db.session.get(Company, account.root_company_id) if account.root_company_id else None
    target = AccountToSync(
        account_id=account_id,
        run_id=run_id,
        msp_url=account.msp_url,
        business_url=account.business_url,
        username=account.username,
        password=decrypt_secret(account.password_encrypted),
        settings=client_settings(account.max_calls_per_second),
        skip_setup_for_new=bool(account.skip_setup_for_new),
        root_portal_id=root.portal_id if root is not None and root.source == "msp" else None,
    )
    db.session.commit()  # end the read: the fetch takes long and holds no transaction
    return target


def fetch_portals(
    target: AccountToSync,
    progress: Progress,
    expected: int,
    on_licenses: LicensesCallback | None = None,
    chunk: int = CHUNK,
    also_read: Callable[[MspPortalClient, Snapshot], None] | None = None,
) -> Snapshot:
    """Read both portals into a complete snapshot; `on_licenses` hears each chunk of MSP
    licenses as it is read (to write the new ones early); `also_read` reads more with the MSP
    portal's client once its companies and licenses are in (the usage report, issue 10)."""
    fetcher = Fetcher(progress, expected, on_licenses, chunk)
    if target.msp_url:
        with MspPortalClient(
            target.msp_url, target.username, target.password, target.settings
        ) as client:
            progress("companies", 0, None)
            fetcher.fetch_msp(client, target.root_portal_id)
            if also_read is not None:
                also_read(client, fetcher.snapshot)
    if target.business_url:
        with BusinessPortalClient(
            target.business_url, target.username, target.password, target.settings
        ) as client:
            progress("business", 0, None)
            fetcher.fetch_business(client)
    return fetcher.snapshot


def apply_in_transaction(
    connection: Connection,
    target: AccountToSync,
    state: ApplyState,
    usage: UsageFetch | None = None,
) -> SyncCounts:
    """THE apply transaction's last part (R21): the rest of the data, the run's outcome and
    its audit, all or nothing, the snapshot complete.

    Runs inside ``connection``'s open transaction (:class:`~.transaction.ApplyTransaction`),
    the account row locked, new licenses possibly written already while the listing was
    read. Writes that must commit with the data (or not at all) are added here, before
    :func:`finish_run`.
    """
    counts, root_company_id = finish_apply(state)
    # the usage history (issue 10): the report's days and today's business-portal units
    counts.rows_written += apply_usage(connection, target.account_id, usage, utcnow())
    finish_run(connection, target.run_id, target.account_id, counts, utcnow(), root_company_id)
    return counts


def after_commit(target: AccountToSync, counts: SyncCounts) -> None:
    """What happens once a run's data is committed (and only then): its webhook events are
    queued (issue 13), never built inside the sync's transaction.

    The place for work that must never see rolled-back data: events, webhooks, mail. After
    a large write the planner's statistics are refreshed (:mod:`.statistics`).
    """
    from mspweb.usage.backfill import queue_backfill_if_due  # late: it imports the runner
    from mspweb.webhooks.dispatch import after_sync_committed

    after_sync_committed(target.run_id)
    queue_backfill_if_due(target.account_id)  # issue 10: once the first sync has succeeded
    try:  # planner statistics after a large write; a failure here fails nothing
        refresh_statistics(
            db.engine, counts.rows_written, current_app.config["SYNC_ANALYZE_AFTER_ROWS"]
        )
    except SQLAlchemyError:
        log.warning("could not refresh the planner statistics", exc_info=True)


def stream_writes(setting: object, dialect: str) -> bool:
    """Whether new licenses are written while the listing is read: `SYNC_STREAM_WRITES`
    (true/false), by default on PostgreSQL only (SQLite would hold its one write lock for the
    whole fetch, and measured no faster: docs/performance.md)."""
    if setting is None or setting == "":
        return dialect == "postgresql"
    if isinstance(setting, str):
        return setting.strip().lower() in ("1", "true", "yes", "on")
    return bool(setting)


def _synchronize(account_id: int, run_id: int, job: Any) -> tuple[AccountToSync, SyncCounts]:
    """Read, apply and commit; any exception leaves the database as it was."""
    engine = db.engine
    progress = Progress(engine, run_id, job)
    target = read_account(account_id, run_id)
    usage_plan = plan_refresh(account_id)  # issue 10: the usage days this sync reads
    db.session.commit()
    usage: list[UsageFetch] = []

    def read_usage(client: MspPortalClient, snapshot: Snapshot) -> None:
        if usage_plan.refreshes:  # phase "usage"; a failure fails the run (R21)
            usage.append(fetch_usage(client, usage_plan, progress, snapshot))

    with engine.connect() as connection:
        expected = count_licenses(connection, account_id)
    preloader = Preloader(engine, account_id).start()
    config = current_app.config
    stream = stream_writes(config.get("SYNC_STREAM_WRITES"), engine.dialect.name)
    chunk = int(config.get("SYNC_STREAM_CHUNK") or CHUNK)
    try:
        with ApplyTransaction(
            engine,
            account_id,
            target.skip_setup_for_new,
            preloader,
            progress,
            stream,
            chunk // 4,
            ChangeLog(account_id, utcnow(), run_id),  # the change log commits with the data
        ) as transaction:
            fetch_started = time.perf_counter()
            snapshot = fetch_portals(
                target, progress, expected, transaction.on_licenses, chunk, read_usage
            )
            progress("applying", len(snapshot.msp_licenses) + len(snapshot.business_licenses), None)
            state = transaction.open(snapshot)
            fetch_seconds = time.perf_counter() - fetch_started
            assert transaction.connection is not None
            counts = apply_in_transaction(
                transaction.connection, target, state, usage[0] if usage else None
            )
            transaction.commit()
    finally:
        preloader.result()
    log.info(
        "sync run %s of account %s: fetched in %.2f s, applied in %.2f s more: %s",
        run_id,
        account_id,
        fetch_seconds,
        time.perf_counter() - fetch_started - fetch_seconds,
        counts.as_dict(),
    )
    return target, counts


def run_claimed(account_id: int, run_id: int, job: Any) -> dict[str, Any]:
    """Run the claimed (running) run `run_id`; returns its outcome."""
    try:
        with paused_collection():  # the sync's tuples hold no cycles (gcpause)
            target, counts = _synchronize(account_id, run_id, job)
        after_commit(target, counts)
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


def run_inline(account: Account, requested_by: User | None = None) -> dict[str, Any]:
    """Run a sync of `account` in this process, taking over its queued run if it has one."""
    account_id = account.id
    refresh_stale_runs(account_id)
    run = active_run(account_id)
    if run is not None and run.status == SyncStatus.RUNNING:
        raise SyncRefused(f"A sync of this account is already running (run {run.id}).")
    if run is None:
        new_run, created = create_run(account_id, SyncTrigger.MANUAL.value, requested_by)
        assert new_run is not None  # only a scheduled request can find none
        run = new_run
        if not created and run.status == SyncStatus.RUNNING:
            raise SyncRefused(f"A sync of this account is already running (run {run.id}).")
    run_id, job_id, trigger = run.id, run.job_id, run.trigger
    audit.record_now(
        "sync.request",
        f"account {account_id} {account.name}",
        details={"run_id": run_id, "trigger": trigger, "inline": True},
        user=requested_by,
    )
    cancel_job(job_id)
    return run_sync(account_id, trigger, run_id)
