"""The life of a :class:`~mspweb.models.SyncRun`: the one module that changes a run's status.

queued (:func:`create_run`) -> running (:func:`claim_run`) -> succeeded (:func:`finish_run`,
in the data's transaction) or failed (:func:`fail_run`, :func:`cancel_active_runs`). Every
other module asks this one; a status is never written anywhere else. Each status change that
ends a run is audited in the transaction that makes it (:func:`audit_outcome`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import has_request_context
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from mspweb.database import begin_write
from mspweb.extensions import db
from mspweb.models import Account, AuditEntry, Company, SyncRun, SyncStatus, User
from mspweb.models.sync import ACTIVE_STATUSES
from mspweb.sync.counts import SyncCounts

runs_t = SyncRun.__table__
accounts_t = Account.__table__
companies_t = Company.__table__


class SyncRefused(Exception):
    """A sync or pool removal cannot be done now; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunTakenOver(Exception):
    """The run is no longer ``running`` (marked failed as stale, or taken over): roll back."""


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def job_id_for(run_id: int) -> str:
    """The RQ job id of sync run `run_id`."""
    return f"sync-run-{run_id}"


def immediate(connection: Connection) -> Connection:
    """`connection` set to begin its transactions with BEGIN IMMEDIATE on SQLite.

    In a request, the session's transaction is committed first: a request that may write holds
    SQLite's write lock in it (:mod:`mspweb.database`), and this connection would wait for it."""
    if has_request_context() and db.session().in_transaction():
        db.session.commit()
    return connection.execution_options(sqlite_immediate=True)


def active_run(account_id: int) -> SyncRun | None:
    """The account's queued or running sync run, if any."""
    return db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == account_id, SyncRun.status.in_(ACTIVE_STATUSES))
    ).first()


def create_run(
    account_id: int,
    trigger: str,
    requested_by: User | None = None,
    scheduled_for: date | None = None,
) -> tuple[SyncRun | None, bool]:
    """Insert a queued run; `(run, True)`, or `(the active run, False)` if there is one.

    A scheduled run (`scheduled_for`) that exists already for that day gives `(None, False)`.
    """
    for _ in range(3):
        db.session.commit()
        begin_write(db.session)
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


def claim_run(run_id: int, job_id: str | None) -> bool:
    """Move a queued run to running; False if it is not queued any more."""
    now = utcnow()
    with immediate(db.engine.connect()) as connection, connection.begin():
        values: dict[str, Any] = {
            "status": SyncStatus.RUNNING.value,
            "started_at": now,
            "heartbeat_at": now,
            "phase": "starting",
        }
        if job_id:
            values["job_id"] = job_id
        result = connection.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id, runs_t.c.status == SyncStatus.QUEUED.value)
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
        values: dict[str, Any] = {
            "last_sync_at": now,
            "last_sync_status": SyncStatus.FAILED.value,
            "last_sync_error": message,
        }
        if credentials_invalid:
            values["credentials_valid"] = False
        connection.execute(update(accounts_t).where(accounts_t.c.id == account_id).values(**values))
        audit_outcome(connection, run_id, account_id, "failed", {"error": message})
    from mspweb.webhooks.dispatch import after_sync_failed  # its sync.failed event (issue 13)

    after_sync_failed(run_id)
    return True


def finish_run(
    connection: Connection,
    run_id: int,
    account_id: int,
    counts: SyncCounts,
    now: datetime,
    root_company_id: int | None,
) -> None:
    """Mark the run succeeded with its counts, in the data's transaction.

    Raises :class:`RunTakenOver` when the run is no longer running (it was marked failed as
    stale meanwhile): the caller must roll back so a failed run never has its data applied.
    """
    result = connection.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id, runs_t.c.status == SyncStatus.RUNNING.value)
        .values(
            status=SyncStatus.SUCCEEDED.value,
            finished_at=now,
            heartbeat_at=now,
            phase="done",
            error=None,
            progress_done=counts.licenses_seen,
            progress_total=counts.licenses_seen,
            **counts.as_dict(),
        )
    )
    if result.rowcount != 1:
        raise RunTakenOver(f"sync run {run_id} is no longer running")
    values: dict[str, Any] = {
        "last_sync_at": now,
        "last_sync_status": SyncStatus.SUCCEEDED.value,
        "last_sync_error": None,
        "last_success_at": now,
        "credentials_valid": True,
        "state": "active",
    }
    if root_company_id is not None:
        values["root_company_id"] = root_company_id
        values["name"] = (
            select(companies_t.c.name).where(companies_t.c.id == root_company_id).scalar_subquery()
        )
    connection.execute(update(accounts_t).where(accounts_t.c.id == account_id).values(**values))
    audit_outcome(connection, run_id, account_id, "ok", counts.as_dict())


def cancel_active_runs(connection: Connection, account_id: int, reason: str) -> list[str]:
    """Fail the account's queued runs with `reason`, in the caller's transaction; returns their
    job ids (to cancel in Redis once committed). Refused while a run is running."""
    active = connection.execute(
        select(runs_t.c.id, runs_t.c.status, runs_t.c.job_id).where(
            runs_t.c.account_id == account_id, runs_t.c.status.in_(ACTIVE_STATUSES)
        )
    ).all()
    if any(run.status == SyncStatus.RUNNING for run in active):
        raise SyncRefused(
            "A sync of this account is running; remove the pools once it has finished."
        )
    now = utcnow()
    for run in active:
        connection.execute(
            update(runs_t)
            .where(runs_t.c.id == run.id)
            .values(status=SyncStatus.FAILED.value, finished_at=now, error=reason)
        )
    return [run.job_id for run in active if run.job_id]


def audit_outcome(
    connection: Connection,
    run_id: int,
    account_id: int,
    outcome: str,
    details: dict[str, Any],
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
