"""The seam through which others hear what a sync changes, while it applies it.

The engine calls an :class:`ApplyListener` for every company, license and pool it adds,
updates, renames, moves, unlinks, changes or removes, inside the apply transaction, after
the row is written (ids are known). Licenses written early, while the listing is still read
(:mod:`.rules.streaming`), are heard then, in the same transaction. The default listens to
nothing; a change log (:class:`~.changes.ChangeLog`) subclasses it and writes its own rows
with the connection it is given (``listener.connection``) when the apply is
:meth:`~ApplyListener.finished`, so they commit with the data or not at all (R21).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection


class ApplyListener:
    """Hears each change the engine makes; every method does nothing unless overridden."""

    connection: Connection | None = None

    def bind(self, connection: Connection) -> None:
        """Called once by the engine, with the apply transaction's connection."""
        self.connection = connection

    def company_added(self, company_id: int, name: str, parent_id: int | None) -> None:
        """A company appeared (R08)."""

    def company_updated(
        self, company_id: int, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> None:
        """A company row differs from the portal and is updated (not unlinked): `before` and
        `after` hold every synced column (name, parent_id, portal_status, unlinked_at, ...).
        Called before :meth:`company_renamed` and :meth:`company_moved`."""

    def company_renamed(self, company_id: int, old_name: str, new_name: str) -> None:
        """A company's name changed in the portal (R09)."""

    def company_moved(
        self, company_id: int, old_parent: int | None, new_parent: int | None
    ) -> None:
        """A company got another parent."""

    def company_unlinked(self, company_id: int, name: str) -> None:
        """A company is gone from the portal; it is kept, unlinked (R20)."""

    def license_added(self, license_id: int, public_key: str, company_id: int) -> None:
        """A license was seen for the first time."""

    def license_changed(
        self,
        license_id: int,
        public_key: str,
        company_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        """A license's fields changed (`before`/`after` hold only the fields that differ;
        `company_id` is the company it belongs to now)."""

    def license_removed(self, license_id: int, public_key: str, company_id: int) -> None:
        """A license is gone from the portal (called before its row is deleted)."""

    def pool_created(self, pool_id: int, company_id: int, key: str) -> None:
        """A pool was created (R04, R05)."""

    def pool_emptied(self, pool_id: int, company_id: int, key: str) -> None:
        """A pool holds no license any more and is removed (called before its row is
        deleted)."""

    def finished(self) -> None:
        """The snapshot is applied (still in the transaction): flush anything buffered."""
