"""The change log's writer: an :class:`~.listener.ApplyListener` the runner gives the apply.

The engine's rules call the listener at each point where they already decide that a company,
license or pool was added, updated (renamed, moved, status, relinked), unlinked, changed or
removed, including the licenses written early while the listing is read; when the apply is
finished, :meth:`ChangeLog.write` inserts every buffered :class:`~mspweb.models.ChangeRecord`
with the apply transaction's connection (R21: a failed sync records nothing). A sync that
changed nothing buffered nothing and writes nothing (not even a query).

Values are kept as the portal sent them: a state is its number, a trial a boolean, a date its
ISO text, a parent the parent's portal id. Usage changes are kept per license and day: a
second usage change of a license on the same (UTC) day replaces that day's record, which
then goes from the day's first value to its last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, Text, delete, select

from mspweb.models import ChangeKind, ChangeRecord, Company
from mspweb.sync.bulk import bulk_insert
from mspweb.sync.listener import ApplyListener

change_records = ChangeRecord.__table__
companies = Company.__table__

#: The license fields a `license.changed` record may name, in the order they are compared.
LICENSE_FIELDS = (
    "quantity",
    "usage",
    "state",
    "trial",
    "trial_expiration",
    "expiration",
    "product_code",
)

#: The JSON columns: written as JSON text (see `_as_text`).
JSON_COLUMNS = ("old", "new")

#: The change_record table with its JSON columns seen as text: the engine's bulk writer then
#: sends the JSON text as it is (COPY on PostgreSQL), with no per-row type processing.
_as_text = Table(
    "change_record",
    MetaData(),
    *(
        Column(column.name, Text() if column.name in JSON_COLUMNS else column.type)
        for column in change_records.c
    ),
)

#: The columns every buffered row fills, in this order.
COLUMNS = (
    "kind",
    "company_id",
    "license_id",
    "license_key",
    "pool_id",
    "field",
    "old",
    "new",
    "day",
)


def portal_value(value: Any) -> Any:
    """`value` as the portal sent it, fit for JSON: dates as ISO text, the rest as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class ChangeLog(ApplyListener):
    """Buffers the change records of one apply; :meth:`write` inserts them when the apply
    is :meth:`finished`, in its transaction.

    Subjects are named by database ids while the apply runs; the companies' portal ids are
    resolved when writing (new companies are in the database by then).
    """

    def __init__(self, account_id: int, now: datetime, run_id: int | None = None) -> None:
        self.account_id = account_id
        self.now = now
        self.day = now.date()
        self.run_id = run_id
        self.rows: list[dict[str, Any]] = []
        self.written = 0

    def __len__(self) -> int:
        return len(self.rows)

    def _add(self, kind: ChangeKind, company_id: int | None, **values: Any) -> None:
        row = dict.fromkeys(COLUMNS)
        row.update(kind=kind.value, company_id=company_id, **values)
        self.rows.append(row)

    # -- companies -------------------------------------------------------------------------
    def company_added(self, company_id: int, name: str, parent_id: int | None) -> None:
        """A company seen for the first time (R08); `new` is its name."""
        self._add(ChangeKind.COMPANY_ADDED, company_id, new=name)

    def company_unlinked(self, company_id: int, name: str) -> None:
        """A company gone from the portal (R20); `old` is its name."""
        self._add(ChangeKind.COMPANY_UNLINKED, company_id, old=name)

    def company_updated(
        self, company_id: int, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> None:
        """A company row that differs from the portal: record its relink, rename (R09),
        move and status change (a status seen for the first time, as the imported root's,
        is no change). Renames and moves are recorded here, not in `company_renamed`/
        `company_moved`, so that one update gives its records in this order."""
        if before["unlinked_at"] is not None and after.get("unlinked_at") is None:
            self._add(ChangeKind.COMPANY_RELINKED, company_id, new=after["name"])
        if after["name"] != before["name"]:
            self._add(
                ChangeKind.COMPANY_RENAMED,
                company_id,
                field="name",
                old=before["name"],
                new=after["name"],
            )
        if after["parent_id"] != before["parent_id"]:
            self._add(
                ChangeKind.COMPANY_MOVED,
                company_id,
                field="parent",
                old=before["parent_id"],
                new=after["parent_id"],
            )
        status = before["portal_status"]
        if status is not None and after["portal_status"] != status:
            self._add(
                ChangeKind.COMPANY_STATUS,
                company_id,
                field="status",
                old=status,
                new=after["portal_status"],
            )

    # -- licenses --------------------------------------------------------------------------
    def license_added(self, license_id: int, public_key: str, company_id: int) -> None:
        """A license seen for the first time: one record per key (not per site allocation)."""
        self._add(
            ChangeKind.LICENSE_ADDED, company_id, license_id=license_id, license_key=public_key
        )

    def license_changed(
        self,
        license_id: int,
        public_key: str,
        company_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        """A license whose stored values differ from the portal's: one record per changed
        field of :data:`LICENSE_FIELDS` (a change of `lastUpdate` alone records nothing)."""
        for name in LICENSE_FIELDS:
            if name not in before:
                continue
            old, new = portal_value(before[name]), portal_value(after[name])
            if old != new:
                self._add(
                    ChangeKind.LICENSE_CHANGED,
                    company_id,
                    license_id=license_id,
                    license_key=public_key,
                    field=name,
                    old=old,
                    new=new,
                    day=self.day if name == "usage" else None,
                )

    def license_removed(self, license_id: int, public_key: str, company_id: int) -> None:
        """A license gone from a company still in the portal (its row is deleted)."""
        self._add(ChangeKind.LICENSE_REMOVED, company_id, license_key=public_key)

    # -- pools -----------------------------------------------------------------------------
    def pool_created(self, pool_id: int, company_id: int, key: str) -> None:
        """A pool created by this sync; `new` is its key."""
        self._add(ChangeKind.POOL_CREATED, company_id, pool_id=pool_id, new=key)

    def pool_emptied(self, pool_id: int, company_id: int, key: str) -> None:
        """A pool removed because it holds no license any more; `old` is its key."""
        self._add(ChangeKind.POOL_EMPTIED, company_id, old=key)

    # -- writing ---------------------------------------------------------------------------
    def finished(self) -> None:
        """The apply is done (its transaction still open): write the records with it."""
        assert self.connection is not None, "bind() first"
        self.written = self.write(self.connection)

    def write(self, connection: Connection) -> int:
        """Insert the buffered records in the caller's transaction; returns how many.

        Each record names its company by portal id too (and a move its parents), read from
        the account's companies in the same transaction.
        """
        if not self.rows:
            return 0
        portal_ids: dict[int | None, str] = dict(
            connection.execute(
                select(companies.c.id, companies.c.portal_id).where(
                    companies.c.account_id == self.account_id
                )
            ).all()
        )
        for row in self.rows:
            row["company_portal_id"] = portal_ids.get(row["company_id"])
            if row["field"] == "parent":
                row["old"] = portal_ids.get(row["old"])
                row["new"] = portal_ids.get(row["new"])
        rows = self._merge_usage(connection)
        self.rows = []
        if not rows:
            return 0
        names = (*COLUMNS, "company_portal_id")
        cells = itemgetter(*names)
        as_json = [index for index, name in enumerate(names) if name in JSON_COLUMNS]
        values = []
        for row in rows:  # a first sync writes one record per license: kept to a plain loop
            value = list(cells(row))
            for index in as_json:
                if value[index] is not None:
                    value[index] = json.dumps(value[index], ensure_ascii=False)
            values.append(value)
        constants = {
            "account_id": self.account_id,
            "sync_run_id": self.run_id,
            "created_at": self.now,
        }
        return bulk_insert(connection, _as_text, names, values, constants)

    def _merge_usage(self, connection: Connection) -> list[dict[str, Any]]:
        """Replace today's earlier usage record of each license: the new record starts from
        that record's `old`; a day that ends where it began keeps no usage record."""
        usage = {row["license_key"]: row for row in self.rows if row["field"] == "usage"}
        if not usage:
            return self.rows
        columns = change_records.c
        earlier: dict[str, tuple[int, Any]] = {}
        keys = sorted(key for key in usage if key is not None)
        for start in range(0, len(keys), 500):
            for record_id, key, old in connection.execute(
                select(columns.id, columns.license_key, columns.old).where(
                    columns.account_id == self.account_id,
                    columns.day == self.day,
                    columns.field == "usage",
                    columns.license_key.in_(keys[start : start + 500]),
                )
            ):
                earlier[key] = (record_id, old)
        if not earlier:
            return self.rows
        stale = [record_id for record_id, _ in earlier.values()]
        for start in range(0, len(stale), 500):
            connection.execute(
                delete(change_records).where(columns.id.in_(stale[start : start + 500]))
            )
        kept = []
        for row in self.rows:
            if row["field"] == "usage" and row["license_key"] in earlier:
                row["old"] = earlier[row["license_key"]][1]
                if row["old"] == row["new"]:
                    continue
            kept.append(row)
        return kept
