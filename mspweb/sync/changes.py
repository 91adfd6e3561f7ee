"""The change log's writer: a collector the sync engine feeds while it applies a snapshot.

The engine calls one method at each point where it already decides that a company, license
or pool was added, renamed, moved, unlinked, relinked, changed or removed; :meth:`ChangeLog.write`
then inserts every buffered :class:`~mspweb.models.ChangeRecord` at the end of the apply, in
the same transaction (R21: a failed sync records nothing). A sync that changed nothing
buffered nothing and writes nothing (not even a query).

Values are kept as the portal sent them: a state is its number, a trial a boolean, a date its
ISO text, a parent the parent's portal id. Usage changes are kept per license and day: a
second usage change of a license on the same (UTC) day replaces that day's record, which
then goes from the day's first value to its last.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, Text, delete, select

from mspweb.models import ChangeKind, ChangeRecord

change_records = ChangeRecord.__table__

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


class ChangeLog:
    """Buffers the change records of one apply; :meth:`write` inserts them.

    Subjects are named by database ids while the apply runs; portal ids and license keys are
    resolved when writing, from the engine's own maps (new companies get their ids as they
    are inserted).
    """

    def __init__(self, account_id: int, now: datetime) -> None:
        self.account_id = account_id
        self.now = now
        self.day = now.date()
        self.rows: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self.rows)

    def _add(self, kind: ChangeKind, company_id: int | None, **values: Any) -> None:
        row = dict.fromkeys(COLUMNS)
        row.update(kind=kind.value, company_id=company_id, **values)
        self.rows.append(row)

    # -- companies -------------------------------------------------------------------------
    def company_added(self, company_id: int, name: str) -> None:
        """A company seen for the first time (R08); `new` is its name."""
        self._add(ChangeKind.COMPANY_ADDED, company_id, new=name)

    def company_unlinked(self, row: Any) -> None:
        """A company gone from the portal (R20); `row` has `id` and `name`."""
        self._add(ChangeKind.COMPANY_UNLINKED, row.id, old=row.name)

    def company_updated(self, row: Any, wanted: Mapping[str, Any]) -> None:
        """A company row that differs from the portal: record its rename (R09), move,
        status change and relink. `row` is the stored row, `wanted` the values written (a
        status seen for the first time, as the imported root's, is no change)."""
        company_id = row.id
        if row.unlinked_at is not None and wanted.get("unlinked_at") is None:
            self._add(ChangeKind.COMPANY_RELINKED, company_id, new=wanted["name"])
        if wanted["name"] != row.name:
            self._add(
                ChangeKind.COMPANY_RENAMED,
                company_id,
                field="name",
                old=row.name,
                new=wanted["name"],
            )
        if wanted["parent_id"] != row.parent_id:
            self._add(
                ChangeKind.COMPANY_MOVED,
                company_id,
                field="parent",
                old=row.parent_id,
                new=wanted["parent_id"],
            )
        if row.portal_status is not None and wanted["portal_status"] != row.portal_status:
            self._add(
                ChangeKind.COMPANY_STATUS,
                company_id,
                field="status",
                old=row.portal_status,
                new=wanted["portal_status"],
            )

    # -- licenses --------------------------------------------------------------------------
    def license_added(self, license_id: int, company_id: int, key: str) -> None:
        """A license seen for the first time: one record per key (not per site allocation)."""
        self._add(ChangeKind.LICENSE_ADDED, company_id, license_id=license_id, license_key=key)

    def license_changed(
        self, license_id: int, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        """A license whose stored values differ from the portal's: one record per changed
        field of :data:`LICENSE_FIELDS` (a change of `lastUpdate` alone records nothing)."""
        company_id = new.get("company_id")
        for name in LICENSE_FIELDS:
            before, after = portal_value(old[name]), portal_value(new[name])
            if before != after:
                self._add(
                    ChangeKind.LICENSE_CHANGED,
                    company_id,
                    license_id=license_id,
                    field=name,
                    old=before,
                    new=after,
                    day=self.day if name == "usage" else None,
                )

    def licenses_removed(self, existing: Mapping[str, tuple], removed: Iterable[int]) -> None:
        """Licenses gone from a company still in the portal; `existing` maps a key to the
        engine's brief `(id, company id, source, digest)`."""
        gone = set(removed)
        for key, row in existing.items():
            if row[0] in gone:
                self._add(ChangeKind.LICENSE_REMOVED, row[1], license_key=key)

    # -- pools -----------------------------------------------------------------------------
    def pools_created(self, new_pools: Iterable[tuple], pool_ids: Mapping[str, int]) -> None:
        """Pools created by this sync: `(company id, site id, source, key)` each."""
        for company_id, _site_id, _source, key in new_pools:
            self._add(ChangeKind.POOL_CREATED, company_id, pool_id=pool_ids.get(key), new=key)

    def pools_emptied(self, rows: Iterable[Any]) -> None:
        """Pools removed because they hold no license any more; rows with `company_id`, `key`."""
        for row in rows:
            self._add(ChangeKind.POOL_EMPTIED, row.company_id, old=row.key)

    # -- writing ---------------------------------------------------------------------------
    def write(
        self,
        connection: Connection,
        run_id: int | None,
        company_ids: Mapping[tuple[str, str], int],
        license_ids: Mapping[str, int],
    ) -> int:
        """Insert the buffered records in the caller's transaction; returns how many.

        `company_ids` maps (source, portal id) to a company id, `license_ids` a key to a
        license id (the engine's maps), to name each subject by its portal identity.
        """
        if not self.rows:
            return 0
        portal_ids = {company_id: key[1] for key, company_id in company_ids.items()}
        keys = {license_id: key for key, license_id in license_ids.items()}
        for row in self.rows:
            row["company_portal_id"] = portal_ids.get(row["company_id"])
            if row["license_key"] is None and row["license_id"] is not None:
                row["license_key"] = keys.get(row["license_id"])
            if row["field"] == "parent":
                row["old"] = portal_ids.get(row["old"])
                row["new"] = portal_ids.get(row["new"])
        rows = self._merge_usage(connection)
        if not rows:
            return 0
        from mspweb.sync.engine import bulk_insert  # executemany, or COPY on PostgreSQL

        names = (*COLUMNS, "company_portal_id")
        values = [
            tuple(
                json.dumps(row[name], ensure_ascii=False)
                if name in JSON_COLUMNS and row[name] is not None
                else row[name]
                for name in names
            )
            for row in rows
        ]
        constants = {"account_id": self.account_id, "sync_run_id": run_id, "created_at": self.now}
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
