"""Apply a :class:`~mspweb.sync.fetch.Snapshot` to the database in one transaction.

Pure: a SQLAlchemy ``Connection`` with an open transaction and a snapshot in, rows changed
out; no Flask, no ORM objects. Existing rows are loaded as tuples, compared with the
snapshot (license by license through a digest of what the portal said), and only what
differs is written: inserts with the driver's executemany (COPY on PostgreSQL), updates and
deletes with Core executemany statements, in batches. A sync that finds nothing new writes no
data rows at all.

The rules it implements (``shared/domain.md``): new companies appear (R08), renames update
the name only (R09), companies gone from the portal are unlinked with their licenses kept
(R20), one pool per company (R04) and per business site plus company level (R05), a newly
seen license is tagged once with its company's name (R06) and tags are never touched again
(R19), ``in_license_tree`` is whether the company holds licenses now (R07, R18).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from mspweb.models import (
    Account,
    Company,
    License,
    LicensePool,
    LicenseTag,
    PoolLicense,
    Site,
    SyncRun,
    Tag,
)
from mspweb.models.companies import SetupState
from mspweb.models.licenses import TAG_NAME_LENGTH  # tag.name: as long as a company name
from mspweb.sync.changes import ChangeLog
from mspweb.sync.fetch import CompanyRecord, LicenseRecord, SiteRecord, Snapshot, units_of

BATCH_SIZE = 2000
"""Rows per executemany batch: bounds the memory of parameter dicts."""


accounts = Account.__table__
companies = Company.__table__
sites_t = Site.__table__
pools = LicensePool.__table__
licenses = License.__table__
pool_units = PoolLicense.__table__
tags = LicenseTag.__table__
tag_names = Tag.__table__
sync_runs = SyncRun.__table__

MSP, BUSINESS = "msp", "business"


class RunTakenOver(Exception):
    """The run is no longer ``running`` (marked failed as stale, or taken over): roll back."""


@dataclass
class SyncCounts:
    """What one sync saw and changed (the SyncRun's columns of the same names)."""

    companies_seen: int = 0
    companies_added: int = 0
    companies_renamed: int = 0
    companies_unlinked: int = 0
    licenses_seen: int = 0
    licenses_added: int = 0
    licenses_changed: int = 0
    licenses_removed: int = 0
    rows_written: int = 0
    portal_calls: int = 0
    portal_retries: int = 0
    portal_wait_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict."""
        return asdict(self)


def batches(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    """`items` in lists of at most `size`."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def pool_key_msp(company_portal_id: str) -> str:
    """The key of an MSP-portal company's pool (R04)."""
    return f"msp:{company_portal_id}"


def pool_key_business(company_portal_id: str, site_portal_id: str | None) -> str:
    """The key of a business-portal site's pool, or of the company-level one (R05)."""
    return f"business:{company_portal_id}:{site_portal_id or '-'}"


@dataclass
class ExistingRows:
    """The account's licenses in brief, keyed by public key: (id, company id, source, digest).

    Loaded in one light query; full rows and units are loaded only for the licenses whose
    digest differs from the portal's.
    """

    licenses: dict[str, tuple]


def load_existing(connection: Connection, account_id: int) -> ExistingRows:
    """Load the brief of the account's licenses."""
    columns = licenses.c
    return ExistingRows(
        {
            row[1]: (row[0], row[2], row[3], row[4])
            for row in connection.execute(
                select(
                    columns.id,
                    columns.public_key,
                    columns.company_id,
                    columns.source,
                    columns.portal_digest,
                ).where(columns.account_id == account_id)
            )
        }
    )


def bulk_insert(
    connection: Connection,
    table,
    names: tuple[str, ...],
    rows: Iterable[tuple],
    constants: dict[str, Any] | None = None,
    size: int = 5000,
) -> int:
    """INSERT `rows` (tuples in the order of `names`, plus `constants` for every row) with the
    driver's executemany; returns how many rows were inserted.

    The Core statement is compiled once and each column's bind processor applied here (the
    constants' once), so the cost per row is a tuple, not a parameter dict walked by
    SQLAlchemy.
    """
    constants = constants or {}
    all_names = (*names, *constants)
    dialect = connection.dialect
    processors = {name: table.c[name].type.bind_processor(dialect) for name in all_names}
    fixed = tuple(
        processors[name](value) if processors[name] and value is not None else value
        for name, value in constants.items()
    )
    per_row = [
        (index, processors[name])
        for index, name in enumerate(names)
        if processors[name] is not None
    ]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return _copy_rows(connection, table, all_names, rows, per_row, fixed)
    compiled = insert(table).compile(dialect=dialect, column_keys=list(all_names))
    arrange = None
    if compiled.positional:
        order = [all_names.index(name) for name in compiled.positiontup]
        if order != list(range(len(all_names))):
            arrange = itemgetter(*order)
    sql = str(compiled)
    written = 0
    for batch in batches(rows, size):
        if per_row:
            processed = []
            for row in batch:
                row = list(row)
                for index, processor in per_row:
                    if row[index] is not None:
                        row[index] = processor(row[index])
                processed.append(row)
            batch = processed
        full = [(*row, *fixed) for row in batch] if fixed else [tuple(row) for row in batch]
        if not compiled.positional:
            params = [dict(zip(all_names, row, strict=True)) for row in full]
        else:
            params = [arrange(row) for row in full] if arrange else full
        connection.exec_driver_sql(sql, params)
        written += len(batch)
    return written


def _copy_rows(
    connection: Connection,
    table,
    names: tuple[str, ...],
    rows: Iterable[tuple],
    per_row: list,
    fixed: tuple,
) -> int:
    """PostgreSQL: stream the rows with COPY, within the connection's transaction."""
    quote = connection.dialect.identifier_preparer
    sql = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN"
    )
    written = 0
    driver_connection = connection.connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            if per_row:
                row = list(row)
                for index, processor in per_row:
                    if row[index] is not None:
                        row[index] = processor(row[index])
            copy.write_row((*row, *fixed))
            written += 1
    return written


class Applier:
    """Applies one snapshot to one account; ``run()`` returns the counts.

    ``existing`` may be loaded ahead, while the portals are read (see :func:`apply_snapshot`).
    """

    def __init__(
        self,
        connection: Connection,
        account_id: int,
        snapshot: Snapshot,
        now: datetime,
        skip_setup_for_new: bool = False,
        existing: ExistingRows | None = None,
        run_id: int | None = None,
    ) -> None:
        self.conn = connection
        self.run_id = run_id
        self.changes = ChangeLog(account_id, now)
        self.existing = existing or load_existing(connection, account_id)
        self.account_id = account_id
        self.snapshot = snapshot
        self.now = now
        self.new_setup_state = (
            SetupState.SKIPPED if skip_setup_for_new else SetupState.NOT_SET_UP
        ).value
        self.counts = SyncCounts(
            portal_calls=snapshot.portal_calls,
            portal_retries=snapshot.portal_retries,
            portal_wait_seconds=round(snapshot.portal_wait_seconds, 3),
        )
        self.company_ids: dict[tuple[str, str], int] = {}  # (source, portal id) -> id
        self.company_names: dict[int, str] = {}
        self.present: set[int] = set()  # companies in this snapshot
        self.root_company_id: int | None = None
        self.business_company_id: int | None = None
        self.site_ids: dict[str, int] = {}
        self.license_ids: dict[str, int] = {}
        self.new_license_ids: list[tuple[int, int]] = []  # (license id, company id)
        self.changed_license_ids: set[int] = set()  # existing licenses whose digest changed

    # -- helpers ----------------------------------------------------------------------
    def _write(self, statement, rows: Iterable[dict]) -> int:
        written = 0
        for batch in batches(rows):
            self.conn.execute(statement, batch)
            written += len(batch)
        self.counts.rows_written += written
        return written

    def _insert_returning(self, table, rows: Iterable[dict], *columns) -> list[tuple]:
        found: list[tuple] = []
        for batch in batches(rows):
            result = self.conn.execute(insert(table).returning(*columns), batch)
            found.extend(tuple(row) for row in result)
            self.counts.rows_written += len(batch)
        return found

    def _delete_ids(self, table, column, ids: Iterable[int]) -> int:
        removed = 0
        for batch in batches(ids, 500):
            result = self.conn.execute(delete(table).where(column.in_(batch)))
            removed += result.rowcount
        self.counts.rows_written += removed
        return removed

    # -- the steps ----------------------------------------------------------------------
    def run(self) -> SyncCounts:
        """Apply the snapshot; returns what changed."""
        self._apply_companies()
        self._apply_sites()
        self._apply_licenses()
        self._apply_units()
        self._tag_new_licenses()
        self.changes.write(self.conn, self.run_id, self.company_ids, self.license_ids)
        return self.counts

    def _license_holders(self) -> set[tuple[str, str]]:
        holders = {(MSP, record.company_portal_id) for record in self.snapshot.msp_licenses}
        if self.snapshot.business_licenses and self.snapshot.business_company:
            holders.add((BUSINESS, self.snapshot.business_company[0]))
        return holders

    def _apply_companies(self) -> None:
        snapshot = self.snapshot
        columns = companies.c
        existing = {
            (row.source, row.portal_id): row
            for row in self.conn.execute(
                select(
                    columns.id,
                    columns.source,
                    columns.portal_id,
                    columns.name,
                    columns.entity_type,
                    columns.portal_status,
                    columns.email,
                    columns.access,
                    columns.parent_id,
                    columns.custom_identifier,
                    columns.unlinked_at,
                    columns.in_license_tree,
                ).where(columns.account_id == self.account_id)
            )
        }
        for key, row in existing.items():
            self.company_ids[key] = row.id
            self.company_names[row.id] = row.name
        holders = self._license_holders()
        business = snapshot.business_company
        msp_ids = {record.portal_id for record in snapshot.companies}
        business_is_msp = business is not None and business[0] in msp_ids
        if business_is_msp:
            holders.add((MSP, business[0]))
        updates: list[dict] = []
        if snapshot.has_msp:
            self._apply_msp_companies(existing, holders, updates)
        if snapshot.has_business and business is not None:
            self._apply_business_company(existing, holders, updates, business_is_msp)
        self._write(
            update(companies)
            .where(columns.id == bindparam("b_id"))
            .values(
                name=bindparam("name"),
                entity_type=bindparam("entity_type"),
                portal_status=bindparam("portal_status"),
                email=bindparam("email"),
                access=bindparam("access"),
                parent_id=bindparam("parent_id"),
                custom_identifier=bindparam("custom_identifier"),
                unlinked_at=bindparam("unlinked_at"),
                in_license_tree=bindparam("in_license_tree"),
            ),
            updates,
        )
        self.counts.companies_seen = len(self.present)

    @staticmethod
    def _values(row) -> dict:
        return {
            "b_id": row.id,
            "name": row.name,
            "entity_type": row.entity_type,
            "portal_status": row.portal_status,
            "email": row.email,
            "access": row.access,
            "parent_id": row.parent_id,
            "custom_identifier": row.custom_identifier,
            "unlinked_at": row.unlinked_at,
            "in_license_tree": row.in_license_tree,
        }

    def _apply_msp_companies(self, existing: dict, holders: set, updates: list[dict]) -> None:
        records = {record.portal_id: record for record in self.snapshot.companies}
        root = self.snapshot.root
        new: list[CompanyRecord] = []
        for record in records.values():
            row = existing.get((MSP, record.portal_id))
            if row is None:
                new.append(record)
        self._insert_companies(new, records, holders)
        for record in records.values():
            row = existing.get((MSP, record.portal_id))
            company_id = self.company_ids[(MSP, record.portal_id)]
            self.present.add(company_id)
            if row is None:
                continue
            wanted = self._values(row)
            wanted.update(
                name=record.name,
                entity_type=record.entity_type,
                portal_status=record.status,
                email=record.email,
                access=record.access,
                parent_id=self.company_ids.get((MSP, record.parent_portal_id))
                if record.parent_portal_id
                else None,
                unlinked_at=None,
                in_license_tree=(MSP, record.portal_id) in holders,
            )
            if record is root:
                wanted["custom_identifier"] = record.custom_identifier
            if wanted != self._values(row):
                updates.append(wanted)
                self.changes.company_updated(row, wanted)
                if row.name != record.name:
                    self.counts.companies_renamed += 1
                    self.company_names[company_id] = record.name
        self.root_company_id = self.company_ids[(MSP, root.portal_id)]
        for (source, portal_id), row in existing.items():
            if source == MSP and portal_id not in records and row.unlinked_at is None:
                gone = self._values(row)
                gone["unlinked_at"] = self.now
                updates.append(gone)
                self.changes.company_unlinked(row)
                self.counts.companies_unlinked += 1

    def _insert_companies(self, new: list[CompanyRecord], records: dict, holders: set) -> None:
        """Insert new companies level by level, so every parent has its id first."""
        depth: dict[str, int] = {}

        def depth_of(portal_id: str) -> int:
            chain = []
            while portal_id not in depth:
                record = records.get(portal_id)
                parent = record.parent_portal_id if record else None
                if parent is None or parent not in records or parent in chain:
                    depth[portal_id] = 0
                    break
                chain.append(portal_id)
                portal_id = parent
            for item in reversed(chain):
                depth[item] = depth[records[item].parent_portal_id] + 1
            return depth[chain[0]] if chain else depth[portal_id]

        levels: dict[int, list[CompanyRecord]] = {}
        for record in new:
            levels.setdefault(depth_of(record.portal_id), []).append(record)
        names = (
            "portal_id",
            "name",
            "entity_type",
            "portal_status",
            "email",
            "access",
            "custom_identifier",
            "parent_id",
            "in_license_tree",
        )
        constants = {
            "account_id": self.account_id,
            "source": MSP,
            "setup_state": self.new_setup_state,
            "first_seen_at": self.now,
        }
        columns = companies.c
        for level in sorted(levels):
            rows = [
                (
                    record.portal_id,
                    record.name,
                    record.entity_type,
                    record.status,
                    record.email,
                    record.access,
                    record.custom_identifier,
                    self.company_ids.get((MSP, record.parent_portal_id))
                    if record.parent_portal_id
                    else None,
                    (MSP, record.portal_id) in holders,
                )
                for record in levels[level]
            ]
            before = self.conn.scalar(select(func.max(columns.id))) or 0
            self.counts.rows_written += bulk_insert(self.conn, companies, names, rows, constants)
            for company_id, portal_id, name in self.conn.execute(
                select(columns.id, columns.portal_id, columns.name).where(
                    columns.account_id == self.account_id,
                    columns.source == MSP,
                    columns.id > before,
                )
            ):
                self.company_ids[(MSP, portal_id)] = company_id
                self.company_names[company_id] = name
                self.changes.company_added(company_id, name)
            self.counts.companies_added += len(rows)

    def _apply_business_company(
        self, existing: dict, holders: set, updates: list[dict], business_is_msp: bool
    ) -> None:
        portal_id, name = self.snapshot.business_company
        chosen: int | None = None
        if business_is_msp:
            chosen = self.company_ids[(MSP, portal_id)]
        else:
            row = existing.get((BUSINESS, portal_id))
            parent_id = self.root_company_id
            in_tree = (BUSINESS, portal_id) in holders
            if row is None:
                rows = [
                    {
                        "account_id": self.account_id,
                        "source": BUSINESS,
                        "portal_id": portal_id,
                        "name": name,
                        "parent_id": parent_id,
                        "setup_state": self.new_setup_state,
                        "in_license_tree": in_tree,
                        "first_seen_at": self.now,
                    }
                ]
                chosen = self._insert_returning(companies, rows, companies.c.id)[0][0]
                self.company_ids[(BUSINESS, portal_id)] = chosen
                self.changes.company_added(chosen, name)
                self.counts.companies_added += 1
            else:
                chosen = row.id
                wanted = self._values(row)
                wanted.update(
                    name=name, parent_id=parent_id, unlinked_at=None, in_license_tree=in_tree
                )
                if wanted != self._values(row):
                    updates.append(wanted)
                    self.changes.company_updated(row, wanted)
                    if row.name != name:
                        self.counts.companies_renamed += 1
            self.company_names[chosen] = name
        self.present.add(chosen)
        self.business_company_id = chosen
        if self.root_company_id is None:
            self.root_company_id = chosen
        for (source, _portal_id), row in existing.items():
            if source == BUSINESS and row.id != chosen and row.unlinked_at is None:
                gone = self._values(row)
                gone["unlinked_at"] = self.now
                updates.append(gone)
                self.changes.company_unlinked(row)
                self.counts.companies_unlinked += 1

    def _apply_sites(self) -> None:
        if not self.snapshot.has_business or self.business_company_id is None:
            return
        columns = sites_t.c
        existing = {
            row.portal_id: row
            for row in self.conn.execute(
                select(
                    columns.id,
                    columns.portal_id,
                    columns.company_id,
                    columns.name,
                    columns.parent_portal_id,
                ).where(columns.account_id == self.account_id)
            )
        }
        wanted = {site.portal_id: site for site in self.snapshot.sites}
        for record in self.snapshot.business_licenses:  # an allocation to an unlisted site
            for site_id, _, _ in units_of(record):
                if site_id is not None and site_id not in wanted:
                    wanted[site_id] = SiteRecord(site_id, f"Site {site_id[:8]}", None)
        new, changed = [], []
        for site in wanted.values():
            row = existing.get(site.portal_id)
            values = {
                "company_id": self.business_company_id,
                "name": site.name,
                "parent_portal_id": site.parent_portal_id,
            }
            if row is None:
                new.append({"account_id": self.account_id, "portal_id": site.portal_id, **values})
            else:
                self.site_ids[site.portal_id] = row.id
                if (row.company_id, row.name, row.parent_portal_id) != tuple(values.values()):
                    changed.append({"b_id": row.id, **values})
        for site_id, portal_id in self._insert_returning(
            sites_t, new, columns.id, columns.portal_id
        ):
            self.site_ids[portal_id] = site_id
        self._write(
            update(sites_t)
            .where(columns.id == bindparam("b_id"))
            .values(
                company_id=bindparam("company_id"),
                name=bindparam("name"),
                parent_portal_id=bindparam("parent_portal_id"),
            ),
            changed,
        )

    def _wanted_licenses(self) -> Iterator[tuple[LicenseRecord, str, int]]:
        for record in self.snapshot.msp_licenses:
            yield record, MSP, self.company_ids[(MSP, record.company_portal_id)]
        for record in self.snapshot.business_licenses:
            yield record, BUSINESS, self.business_company_id

    LICENSE_FIELDS = (
        "company_id",
        "source",
        "product_code",
        "product_name",
        "quantity",
        "usage",
        "state",
        "trial",
        "trial_expiration",
        "expiration",
        "portal_updated_at",
    )

    def _apply_licenses(self) -> None:
        columns = licenses.c
        existing = self.existing.licenses
        new: list[tuple] = []
        suspects: dict[int, tuple] = {}  # license id -> wanted values + digest
        seen: set[str] = set()
        for record, source, company_id in self._wanted_licenses():
            key = record.public_key
            if key in seen:  # listed by both portals: the first wins
                continue
            seen.add(key)
            digest = record.digest
            row = existing.get(key)
            if row is not None:
                self.license_ids[key] = row[0]
                if row[3] == digest and row[1] == company_id:
                    continue  # unchanged in the portal: neither the row nor its units
            values = (
                company_id,
                source,
                record.product_code,
                record.product_name,
                record.quantity,
                record.usage,
                record.state,
                record.trial,
                record.trial_expiration,
                record.expiration,
                record.last_update,
                digest,
            )
            if row is None:
                new.append((key, *values))
            else:
                suspects[row[0]] = values
        self.counts.licenses_seen = len(seen)
        self.changed_license_ids = set(suspects)
        self._update_licenses(suspects)
        self._insert_licenses(new)
        fetched = {
            source
            for source, flag in (
                (MSP, self.snapshot.has_msp),
                (BUSINESS, self.snapshot.has_business),
            )
            if flag
        }
        removed = [
            row[0]
            for key, row in existing.items()
            if key not in seen and row[2] in fetched and row[1] in self.present
        ]
        if removed:
            self.changes.licenses_removed(existing, removed)
            self._delete_ids(pool_units, pool_units.c.license_id, removed)
            self._delete_ids(tags, tags.c.license_id, removed)
            self._delete_ids(licenses, columns.id, removed)
        self.counts.licenses_removed = len(removed)

    def _update_licenses(self, suspects: dict[int, tuple]) -> None:
        """Compare the licenses whose digest changed with their rows; update what differs."""
        columns = licenses.c
        fields = [columns[name] for name in self.LICENSE_FIELDS]
        changed: list[dict] = []
        for batch in batches(list(suspects), 500):
            for row in self.conn.execute(
                select(columns.id, *fields, columns.portal_digest).where(columns.id.in_(batch))
            ):
                wanted = suspects[row[0]]
                if tuple(row[1:]) == wanted:
                    continue
                if tuple(row[1:-1]) == wanted[:-1]:  # the same, only the digest is new
                    self._write(
                        update(licenses)
                        .where(columns.id == row[0])
                        .values(portal_digest=wanted[-1]),
                        [{}],
                    )
                    continue
                self.changes.license_changed(
                    row[0], row._mapping, dict(zip(self.LICENSE_FIELDS, wanted, strict=False))
                )
                changed.append(
                    {
                        "b_id": row[0],
                        "portal_digest": wanted[-1],
                        **dict(zip(self.LICENSE_FIELDS, wanted, strict=False)),
                    }
                )
        self._write(
            update(licenses)
            .where(columns.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in (*self.LICENSE_FIELDS, "portal_digest")}),
            changed,
        )
        self.counts.licenses_changed = len(changed)

    def _insert_licenses(self, new: list[tuple]) -> None:
        """Insert new licenses in key order (kind to the unique index), then read their ids."""
        if not new:
            return
        columns = licenses.c
        new.sort()
        before = self.conn.scalar(select(func.max(columns.id))) or 0
        self.counts.rows_written += bulk_insert(
            self.conn,
            licenses,
            ("public_key", *self.LICENSE_FIELDS, "portal_digest"),
            new,
            {"account_id": self.account_id, "first_seen_at": self.now, "version": 1},
        )
        for license_id, key, company_id in self.conn.execute(
            select(columns.id, columns.public_key, columns.company_id).where(
                columns.account_id == self.account_id, columns.id > before
            )
        ):
            self.license_ids[key] = license_id
            self.new_license_ids.append((license_id, company_id))
            self.changes.license_added(license_id, company_id, key)
        self.counts.licenses_added = len(new)

    def _apply_units(self) -> None:
        """Pools (created as needed, emptied ones removed) and each license's units in them."""
        columns = pools.c
        existing_pools = {
            row.key: row
            for row in self.conn.execute(
                select(columns.id, columns.key, columns.company_id, columns.site_id).where(
                    columns.account_id == self.account_id
                )
            )
        }
        wanted: dict[tuple[str, int], tuple[int, int]] = {}  # (pool key, license id) -> units
        pool_owner: dict[str, tuple[int, int | None, str]] = {}
        business = self.snapshot.business_company
        touched = self.changed_license_ids | {i for i, _ in self.new_license_ids}
        for portal_id in {record.company_portal_id for record in self.snapshot.msp_licenses}:
            pool_owner[pool_key_msp(portal_id)] = (self.company_ids[(MSP, portal_id)], None, MSP)
        if touched:
            for record in self.snapshot.msp_licenses:
                license_id = self.license_ids[record.public_key]
                if license_id in touched:
                    wanted[(pool_key_msp(record.company_portal_id), license_id)] = (
                        record.quantity,
                        record.usage,
                    )
        for record in self.snapshot.business_licenses:
            license_id = self.license_ids[record.public_key]
            for site_id, quantity, usage in units_of(record):
                key = pool_key_business(business[0], site_id)
                pool_owner.setdefault(
                    key,
                    (
                        self.business_company_id,
                        self.site_ids.get(site_id) if site_id else None,
                        BUSINESS,
                    ),
                )
                if license_id not in touched:
                    continue
                old = wanted.get((key, license_id), (0, 0))
                wanted[(key, license_id)] = (old[0] + quantity, old[1] + usage)
        pool_ids = {key: row.id for key, row in existing_pools.items()}
        new_pools, moved_pools = [], []
        for key, (company_id, site_id, source) in pool_owner.items():
            row = existing_pools.get(key)
            if row is None:
                new_pools.append((company_id, site_id, source, key))
            elif (row.company_id, row.site_id) != (company_id, site_id):
                moved_pools.append({"b_id": row.id, "company_id": company_id, "site_id": site_id})
        if new_pools:
            before = self.conn.scalar(select(func.max(columns.id))) or 0
            self.counts.rows_written += bulk_insert(
                self.conn,
                pools,
                ("company_id", "site_id", "source", "key"),
                new_pools,
                {"account_id": self.account_id, "created_at": self.now},
            )
            pool_ids.update(
                (key, pool_id)
                for pool_id, key in self.conn.execute(
                    select(columns.id, columns.key).where(
                        columns.account_id == self.account_id, columns.id > before
                    )
                )
            )
            self.changes.pools_created(new_pools, pool_ids)
        self._write(
            update(pools)
            .where(columns.id == bindparam("b_id"))
            .values(company_id=bindparam("company_id"), site_id=bindparam("site_id")),
            moved_pools,
        )

        units = pool_units.c
        existing_units = {}
        for batch in batches(sorted(self.changed_license_ids), 500):
            existing_units.update(
                ((row[1], row[2]), row)
                for row in self.conn.execute(
                    select(
                        units.id, units.pool_id, units.license_id, units.quantity, units.usage
                    ).where(units.license_id.in_(batch))
                )
            )
        wanted_by_id = {
            (pool_ids[key], license_id): values for (key, license_id), values in wanted.items()
        }
        new_units, changed_units = [], []
        for (pool_id, license_id), (quantity, usage) in wanted_by_id.items():
            row = existing_units.get((pool_id, license_id))
            if row is None:
                new_units.append((pool_id, license_id, quantity, usage))
            elif (row[3], row[4]) != (quantity, usage):
                changed_units.append({"b_id": row[0], "quantity": quantity, "usage": usage})
        stale_units = [row[0] for pair, row in existing_units.items() if pair not in wanted_by_id]
        self._delete_ids(pool_units, units.id, stale_units)
        new_units.sort()
        self.counts.rows_written += bulk_insert(
            self.conn, pool_units, ("pool_id", "license_id", "quantity", "usage"), new_units
        )
        self._write(
            update(pool_units)
            .where(units.id == bindparam("b_id"))
            .values(quantity=bindparam("quantity"), usage=bindparam("usage")),
            changed_units,
        )
        self._remove_empty_pools(set(existing_pools) - set(pool_owner), existing_pools)

    def _remove_empty_pools(self, unwanted: set[str], existing_pools: dict) -> None:
        if not unwanted:
            return
        ids = [existing_pools[key].id for key in unwanted]
        held = set()
        for batch in batches(ids, 500):
            held.update(
                self.conn.scalars(
                    select(pool_units.c.pool_id).distinct().where(pool_units.c.pool_id.in_(batch))
                )
            )
        self.changes.pools_emptied(
            existing_pools[k] for k in unwanted if existing_pools[k].id not in held
        )
        self._delete_ids(pools, pools.c.id, [pool_id for pool_id in ids if pool_id not in held])

    def _tag_new_licenses(self) -> None:
        """Tag each newly seen license with its company's name, once (R06)."""
        if not self.new_license_ids:
            return
        wanted_names = {
            company_id: self.company_names[company_id][:TAG_NAME_LENGTH]
            for company_id in {company_id for _, company_id in self.new_license_ids}
        }
        tag_ids: dict[str, int] = {}
        names = sorted(set(wanted_names.values()))
        for batch in batches(names, 500):
            tag_ids.update(
                (name, tag_id)
                for tag_id, name in self.conn.execute(
                    select(tag_names.c.id, tag_names.c.name).where(tag_names.c.name.in_(batch))
                )
            )
        missing = [(name,) for name in names if name not in tag_ids]
        if missing:
            self.counts.rows_written += bulk_insert(
                self.conn, tag_names, ("name",), missing, {"created_at": self.now}
            )
            for batch in batches([name for (name,) in missing], 500):
                tag_ids.update(
                    (name, tag_id)
                    for tag_id, name in self.conn.execute(
                        select(tag_names.c.id, tag_names.c.name).where(tag_names.c.name.in_(batch))
                    )
                )
        self.counts.rows_written += bulk_insert(
            self.conn,
            tags,
            ("license_id", "tag_id"),
            sorted(
                (license_id, tag_ids[wanted_names[company_id]])
                for license_id, company_id in self.new_license_ids
            ),
            {"origin": "import", "created_at": self.now},
        )


def apply_snapshot(
    connection: Connection,
    account_id: int,
    snapshot: Snapshot,
    now: datetime,
    skip_setup_for_new: bool = False,
    existing: ExistingRows | None = None,
    run_id: int | None = None,
) -> tuple[SyncCounts, int | None]:
    """Apply `snapshot` to the account within the caller's transaction.

    `existing` may come from :func:`load_existing` run while the portals were read: the
    licenses and units of an account are written only by its sync, and one sync per account
    runs at a time (the run is checked to be still running when it finishes, in the same
    transaction, else everything is rolled back). Returns the counts and the root company id.
    The change records (:mod:`mspweb.sync.changes`) are written for `run_id`.
    """
    applier = Applier(connection, account_id, snapshot, now, skip_setup_for_new, existing, run_id)
    counts = applier.run()
    return counts, applier.root_company_id


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
        update(sync_runs)
        .where(sync_runs.c.id == run_id, sync_runs.c.status == "running")
        .values(
            status="succeeded",
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
        "last_sync_status": "succeeded",
        "last_sync_error": None,
        "last_success_at": now,
        "credentials_valid": True,
        "state": "active",
    }
    if root_company_id is not None:
        values["root_company_id"] = root_company_id
        values["name"] = (
            select(companies.c.name).where(companies.c.id == root_company_id).scalar_subquery()
        )
    connection.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


def count_licenses(connection: Connection, account_id: int) -> int:
    """How many licenses the account has now (the expected total of the next fetch)."""
    return (
        connection.scalar(
            select(func.count()).select_from(licenses).where(licenses.c.account_id == account_id)
        )
        or 0
    )
