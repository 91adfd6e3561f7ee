"""The one transaction a sync run writes in (R21), opened early when that pays.

A first sync writes about three rows per license. Rather than write them all after the last
page, :class:`ApplyTransaction` opens the transaction as soon as a chunk of the listing holds
enough licenses the database does not know, and inserts them while the next pages arrive
(:func:`~mspweb.sync.engine.stream_licenses`). A resync, which finds few new licenses,
opens it only at the end. Either way there is one transaction, committed once the listing
is complete and every rule applied, or rolled back: a failed sync changes nothing.

While it is open, SQLite's write lock is held: other writers queue (busy timeout) for that
long. ``SYNC_STREAM_WRITES`` decides (by default on for PostgreSQL, off for SQLite; see
:func:`~mspweb.sync.runner.stream_writes`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from sqlalchemy import Connection, Engine, RootTransaction, select

from mspweb.sync.engine import ApplyState, ExistingRows, begin_apply, stream_licenses
from mspweb.sync.lifecycle import accounts_t, immediate, utcnow
from mspweb.sync.listener import ApplyListener
from mspweb.sync.progress import Progress
from mspweb.sync.snapshot import LicenseRecord, Snapshot

STREAM_AFTER = 500
"""New licenses a chunk (2,000) must hold for the transaction to open before the listing
ends: a resync that finds a few new licenses does not hold the write lock while it reads."""


class ExistingSource(Protocol):
    """Where the account's existing licenses come from (loaded while the portals are read)."""

    def result(self) -> ExistingRows | None:
        """The rows, waiting for them if need be (None if loading failed)."""


class ApplyTransaction:
    """Opens, feeds and ends the apply transaction of one run."""

    def __init__(
        self,
        engine: Engine,
        account_id: int,
        skip_setup_for_new: bool,
        existing: ExistingSource,
        progress: Progress,
        stream: bool = True,
        stream_after: int = STREAM_AFTER,
        listener: ApplyListener | None = None,
    ) -> None:
        self.engine = engine
        self.account_id = account_id
        self.skip_setup_for_new = skip_setup_for_new
        self.existing = existing
        self.progress = progress
        self.stream = stream
        self.stream_after = max(1, stream_after)
        self.listener = listener
        self.connection: Connection | None = None
        self.state: ApplyState | None = None
        self._transaction: RootTransaction | None = None

    def open(self, snapshot: Snapshot) -> ApplyState:
        """Begin the transaction (BEGIN IMMEDIATE on SQLite), lock the account row, and start
        applying `snapshot`; once only. The listener (the change log) hears every change of
        the apply, early writes included, and writes with this transaction."""
        if self.state is not None:
            return self.state
        connection = immediate(self.engine.connect())
        self.connection = connection
        self._transaction = connection.begin()
        connection.execute(
            select(accounts_t.c.id).where(accounts_t.c.id == self.account_id).with_for_update()
        )
        self.state = begin_apply(
            connection,
            self.account_id,
            snapshot,
            utcnow(),
            self.skip_setup_for_new,
            self.existing.result(),
            self.listener,
        )
        self.progress.write_through(connection)
        return self.state

    def on_licenses(self, snapshot: Snapshot, records: list[LicenseRecord]) -> None:
        """The fetcher's hook: write the chunk's new licenses now, if there are enough."""
        if not self.stream:
            return
        if self.state is None:
            existing = self.existing.result()
            if existing is None:  # loading failed: everything waits for the end
                self.stream = False
                return
            known = existing.licenses
            if sum(1 for record in records if record.public_key not in known) < self.stream_after:
                return
        stream_licenses(self.open(snapshot), records)

    def commit(self) -> None:
        """Commit the run's writes."""
        assert self._transaction is not None
        self._transaction.commit()

    def close(self) -> None:
        """Roll back what was not committed and give the connection back."""
        self.progress.write_through(None)
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()
        if self.connection is not None:
            self.connection.close()
        self.connection = self._transaction = None

    def __enter__(self) -> ApplyTransaction:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
