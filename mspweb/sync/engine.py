"""Apply a :class:`~mspweb.sync.fetch.Snapshot` to the database in one transaction.

Pure: a SQLAlchemy ``Connection`` with an open transaction and a snapshot in, rows changed
out; no Flask, no ORM objects. Existing rows are loaded as tuples, compared with the
snapshot (license by license through a digest of what the portal said), and only what
differs is written (:mod:`.bulk`). A sync that finds nothing new writes no data rows at all.

The rules live in :mod:`.rules`, one module per kind of row, applied in this order:
companies (R07, R08, R09, R18, R20), sites (R05), licenses, pools and units (R04, R05), tags
of new licenses (R06, R19). Whoever wants to hear each change passes an
:class:`~.listener.ApplyListener`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from mspweb.models import License
from mspweb.models.companies import SetupState
from mspweb.sync.bulk import Writer
from mspweb.sync.counts import SyncCounts
from mspweb.sync.listener import ApplyListener
from mspweb.sync.rules.companies import apply_companies
from mspweb.sync.rules.licenses import apply_licenses
from mspweb.sync.rules.pools import apply_units, pool_key_business, pool_key_msp
from mspweb.sync.rules.sites import apply_sites
from mspweb.sync.rules.state import ApplyState, ExistingRows, LicenseBrief
from mspweb.sync.rules.streaming import stream_licenses
from mspweb.sync.rules.tags import tag_new_licenses
from mspweb.sync.snapshot import Snapshot

__all__ = [
    "ApplyListener",
    "ApplyState",
    "ExistingRows",
    "LicenseBrief",
    "SyncCounts",
    "apply_snapshot",
    "begin_apply",
    "count_licenses",
    "finish_apply",
    "load_existing",
    "pool_key_business",
    "pool_key_msp",
    "stream_licenses",
]

licenses = License.__table__

STEPS = (apply_companies, apply_sites, apply_licenses, apply_units, tag_new_licenses)
"""The apply, step by step (each reads what the ones before it found)."""


def load_existing(connection: Connection, account_id: int) -> ExistingRows:
    """Load the brief of the account's licenses."""
    columns = licenses.c
    query = select(
        columns.public_key, columns.id, columns.company_id, columns.source, columns.portal_digest
    ).where(columns.account_id == account_id)
    return ExistingRows(
        {row[0]: LicenseBrief(row[1], row[2], row[3], row[4]) for row in connection.execute(query)}
    )


def begin_apply(
    connection: Connection,
    account_id: int,
    snapshot: Snapshot,
    now: datetime,
    skip_setup_for_new: bool = False,
    existing: ExistingRows | None = None,
    listener: ApplyListener | None = None,
) -> ApplyState:
    """Start applying `snapshot` (possibly still being filled) within the caller's
    transaction. Early writes go through :func:`~.rules.streaming.stream_licenses`; the rest
    is done by :func:`finish_apply` once the snapshot is complete."""
    listener = ApplyListener() if listener is None else listener
    listener.bind(connection)
    return ApplyState(
        conn=connection,
        writer=Writer(connection),
        account_id=account_id,
        snapshot=snapshot,
        now=now,
        new_setup_state=(SetupState.SKIPPED if skip_setup_for_new else SetupState.NOT_SET_UP).value,
        existing=existing or load_existing(connection, account_id),
        counts=SyncCounts(),
        listener=listener,
    )


def finish_apply(state: ApplyState) -> tuple[SyncCounts, int | None]:
    """Apply the now complete snapshot: every step, with what was written early known.
    Returns the counts and the root company id."""
    snapshot = state.snapshot
    for step in STEPS:
        step(state)
    state.listener.finished()
    counts = state.counts
    counts.portal_calls = snapshot.portal_calls
    counts.portal_retries = snapshot.portal_retries
    counts.portal_wait_seconds = round(snapshot.portal_wait_seconds, 3)
    counts.rows_written = state.writer.rows_written
    return counts, state.root_company_id


def apply_snapshot(
    connection: Connection,
    account_id: int,
    snapshot: Snapshot,
    now: datetime,
    skip_setup_for_new: bool = False,
    existing: ExistingRows | None = None,
    listener: ApplyListener | None = None,
) -> tuple[SyncCounts, int | None]:
    """Apply the complete `snapshot` to the account within the caller's transaction.

    `existing` may come from :func:`load_existing` run while the portals were read: the
    licenses and units of an account are written only by its sync, and one sync per account
    runs at a time (the run is checked to be still running when it finishes, in the same
    transaction, else everything is rolled back). Returns the counts and the root company id.
    """
    state = begin_apply(
        connection, account_id, snapshot, now, skip_setup_for_new, existing, listener
    )
    return finish_apply(state)


def count_licenses(connection: Connection, account_id: int) -> int:
    """How many licenses the account has now (the expected total of the next fetch)."""
    return (
        connection.scalar(
            select(func.count()).select_from(licenses).where(licenses.c.account_id == account_id)
        )
        or 0
    )
