"""Writing while the portal is still being read: new companies and new licenses, early.

Only inserts of rows that are new for certain are made early: the companies of the tree
that the database does not hold yet, and licenses whose key it does not hold (with their
units in their company's pool and their tag, R04, R06). Everything that depends on the
listing being complete (updates, moves, removals, unlinks, ``in_license_tree``) is left to
the final steps, which know what was written early (``state.streamed_*``). All of it happens
in the one apply transaction: a sync that fails later rolls it back with the rest (R21).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from mspweb.models import Company
from mspweb.sync.rules.companies import _insert_companies
from mspweb.sync.rules.licenses import NewLicense, licenses, values_of
from mspweb.sync.rules.pools import NewPool, NewUnit, pool_key_msp, pool_units, pools
from mspweb.sync.rules.state import MSP, ApplyState
from mspweb.sync.rules.tags import TAG_NAME_LENGTH, tag_ids_for, tags
from mspweb.sync.snapshot import LicenseRecord

_companies = Company.__table__.c


def insert_tree(state: ApplyState) -> None:
    """Insert the tree's companies the database does not hold yet (R08), once.

    ``in_license_tree`` is left false: the final companies step sets it once the listing is
    complete (R07).
    """
    if state.tree_inserted:
        return
    state.tree_inserted = True
    for portal_id, company_id, name in state.conn.execute(
        select(_companies.portal_id, _companies.id, _companies.name).where(
            _companies.account_id == state.account_id, _companies.source == MSP
        )
    ):
        state.company_ids[(MSP, portal_id)] = company_id
        state.company_names[company_id] = name
    records = {record.portal_id: record for record in state.snapshot.companies}
    new = [
        record for record in records.values() if (MSP, record.portal_id) not in state.company_ids
    ]
    _insert_companies(state, new, records, set())


def new_licenses(state: ApplyState, records: Sequence[LicenseRecord]) -> list[LicenseRecord]:
    """The records that are new licenses for certain, of a company already in the database."""
    known = state.existing.licenses
    found: list[LicenseRecord] = []
    for record in records:
        key = record.public_key
        if key in known or key in state.streamed_keys:
            continue
        if (MSP, record.company_portal_id or "") not in state.company_ids:
            continue  # a company added while the tree was read: the final steps add it
        state.streamed_keys.add(key)
        found.append(record)
    return found


def stream_licenses(state: ApplyState, records: Sequence[LicenseRecord]) -> None:
    """Insert new MSP licenses now, with their units and tags."""
    insert_tree(state)
    batch = new_licenses(state, records)
    if not batch:
        return
    company_of: dict[str, tuple[int, LicenseRecord]] = {}
    rows: list[NewLicense] = []
    for record in sorted(batch, key=lambda item: item.public_key):
        company_id = state.company_ids[(MSP, record.company_portal_id or "")]
        company_of[record.public_key] = (company_id, record)
        rows.append(NewLicense(record.public_key, values_of(record, MSP, company_id)))
    columns = licenses.c
    before = state.conn.scalar(select(func.max(columns.id))) or 0
    state.writer.insert(
        licenses,
        ("public_key", *rows[0].values._fields),
        ((row.public_key, *row.values) for row in rows),
        {"account_id": state.account_id, "first_seen_at": state.now, "version": 1},
    )
    inserted: list[tuple[int, str]] = [
        (row[0], row[1])
        for row in state.conn.execute(
            select(columns.id, columns.public_key).where(
                columns.account_id == state.account_id, columns.id > before
            )
        )
    ]
    pool_ids = _pools_for(
        state, {company_of[key][1].company_portal_id or "" for _, key in inserted}
    )
    units: list[NewUnit] = []
    names: dict[int, str] = {}
    for license_id, key in inserted:
        company_id, record = company_of[key]
        state.license_ids[key] = license_id
        state.new_license_ids.append((license_id, company_id))
        state.streamed_ids.add(license_id)
        state.listener.license_added(license_id, key, company_id)
        pool_id = pool_ids[pool_key_msp(record.company_portal_id or "")]
        units.append(NewUnit(pool_id, license_id, record.quantity, record.usage))
        names[license_id] = _tag_name(state, record)
    state.counts.licenses_added += len(inserted)
    units.sort()
    state.writer.insert(pool_units, NewUnit._fields, units)
    tag_ids = tag_ids_for(state, sorted(set(names.values())))
    state.writer.insert(
        tags,
        ("license_id", "tag_id"),
        sorted((license_id, tag_ids[name]) for license_id, name in names.items()),
        {"origin": "import", "created_at": state.now},
    )


def _tag_name(state: ApplyState, record: LicenseRecord) -> str:
    """The company's name as the portal gives it now (R06), which the tag keeps (R19)."""
    names = state.stream_company_names
    if not names:
        names.update((company.portal_id, company.name) for company in state.snapshot.companies)
    return names[record.company_portal_id or ""][:TAG_NAME_LENGTH]


def _pools_for(state: ApplyState, portal_ids: set[str]) -> dict[str, int]:
    """The MSP pools of these companies (R04), created where missing; key -> id."""
    keys = {pool_key_msp(portal_id): portal_id for portal_id in portal_ids}
    found = state.stream_pool_ids
    missing = [key for key in keys if key not in found]
    if missing:
        columns = pools.c
        found.update(
            state.conn.execute(
                select(columns.key, columns.id).where(
                    columns.account_id == state.account_id, columns.key.in_(missing)
                )
            ).all()
        )
        new = [
            NewPool(state.company_ids[(MSP, keys[key])], None, MSP, key)
            for key in missing
            if key not in found
        ]
        if new:
            before = state.conn.scalar(select(func.max(columns.id))) or 0
            state.writer.insert(
                pools,
                NewPool._fields,
                new,
                {"account_id": state.account_id, "created_at": state.now},
            )
            found.update(
                state.conn.execute(
                    select(columns.key, columns.id).where(
                        columns.account_id == state.account_id, columns.id > before
                    )
                ).all()
            )
            for pool in new:
                state.listener.pool_created(found[pool.key], pool.company_id, pool.key)
    return {key: found[key] for key in keys}
