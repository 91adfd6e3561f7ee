"""Removing an account's pools (R11): every pool and license goes, its companies stay unlinked.

The account is disconnected (no more daily syncs) until a sync reconnects it. Its queued
sync runs are cancelled through :mod:`mspweb.sync.lifecycle`; a running one refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, update

from mspweb import audit
from mspweb.extensions import db
from mspweb.models import (
    Account,
    AccountState,
    Company,
    License,
    LicensePool,
    LicenseTag,
    PoolLicense,
    User,
)
from mspweb.sync.lifecycle import SyncRefused, cancel_active_runs, immediate, utcnow
from mspweb.sync.queueing import cancel_job
from mspweb.sync.recovery import refresh_stale_runs

accounts_t = Account.__table__
CANCELLED = "Cancelled: the account's pools were removed."


@dataclass(frozen=True, slots=True)
class RemovalResult:
    """What `remove_pools` removed."""

    pools: int
    licenses: int


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
        result, queued_jobs = _remove_pools(account_id)
    except SyncRefused as refusal:
        audit.record_now(
            "pools.remove", target, "refused", {"reason": refusal.message}, user=requested_by
        )
        raise
    for job_id in queued_jobs:
        cancel_job(job_id)
    audit.record_now(
        "pools.remove",
        target,
        details={"pools": result.pools, "licenses": result.licenses},
        user=requested_by,
    )
    return result


def _remove_pools(account_id: int) -> tuple[RemovalResult, list[str]]:
    with immediate(db.engine.connect()) as connection, connection.begin():
        exists = connection.scalar(
            select(accounts_t.c.id).where(accounts_t.c.id == account_id).with_for_update()
        )
        if exists is None:
            raise SyncRefused(f"There is no account {account_id}.")
        queued_jobs = cancel_active_runs(connection, account_id, CANCELLED)
        result = _delete_pools(connection, account_id)
    return result, queued_jobs


def _delete_pools(connection: Connection, account_id: int) -> RemovalResult:
    """Delete the pools, units, tags and licenses; unlink the companies; disconnect."""
    now = utcnow()
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
    return RemovalResult(pools=pools or 0, licenses=licenses or 0)
