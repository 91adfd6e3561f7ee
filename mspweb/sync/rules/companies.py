"""Companies (R07, R08, R09, R18, R20): new ones appear, renames change the name only, those
gone from the portal are unlinked (their licenses kept), ``in_license_tree`` is whether the
company holds licenses now."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, func, select, update

from mspweb.models import Company
from mspweb.sync.rules.state import BUSINESS, MSP, ApplyState
from mspweb.sync.snapshot import CompanyRecord

companies = Company.__table__
_columns = companies.c

#: The columns a sync keeps in step with the portal (updated together, compared together).
SYNCED = (
    "name",
    "entity_type",
    "portal_status",
    "email",
    "access",
    "parent_id",
    "custom_identifier",
    "unlinked_at",
    "in_license_tree",
)

_UPDATE = (
    update(companies)
    .where(_columns.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in SYNCED})
)


class NewCompany(NamedTuple):
    """One MSP company row to insert (the fields in column order of the bulk insert)."""

    portal_id: str
    name: str
    entity_type: int
    portal_status: int
    email: str | None
    access: str
    custom_identifier: str | None
    parent_id: int | None
    in_license_tree: bool


Existing = dict[tuple[str, str], Row[Any]]


def _values(row: Row[Any]) -> dict[str, Any]:
    return {"b_id": row.id, **{name: getattr(row, name) for name in SYNCED}}


def _license_holders(state: ApplyState) -> set[tuple[str, str]]:
    snapshot = state.snapshot
    holders = {
        (MSP, record.company_portal_id)
        for record in snapshot.msp_licenses
        if record.company_portal_id is not None
    }
    if snapshot.business_licenses and snapshot.business_company:
        holders.add((BUSINESS, snapshot.business_company[0]))
    return holders


def apply_companies(state: ApplyState) -> None:
    """Insert, update and unlink the account's companies (both portals)."""
    snapshot = state.snapshot
    existing: Existing = {
        (row.source, row.portal_id): row
        for row in state.conn.execute(
            select(
                _columns.id,
                _columns.source,
                _columns.portal_id,
                *(_columns[name] for name in SYNCED),
            ).where(_columns.account_id == state.account_id)
        )
    }
    for key, row in existing.items():
        state.company_ids[key] = row.id
        state.company_names[row.id] = row.name
    holders = _license_holders(state)
    business = snapshot.business_company
    msp_ids = {record.portal_id for record in snapshot.companies}
    business_is_msp = business is not None and business[0] in msp_ids
    if business is not None and business_is_msp:
        holders.add((MSP, business[0]))
    updates: list[dict[str, Any]] = []
    if snapshot.has_msp:
        _apply_msp_companies(state, existing, holders, updates)
    if snapshot.has_business and business is not None:
        _apply_business_company(state, existing, holders, updates, business_is_msp)
    state.writer.execute_many(_UPDATE, updates)
    state.counts.companies_seen = len(state.present)


def _note_update(state: ApplyState, row: Row[Any], wanted: dict[str, Any]) -> None:
    """Count and tell the listener what an update of `row` to `wanted` changes."""
    state.listener.company_updated(row.id, _values(row), wanted)
    if row.name != wanted["name"]:
        state.counts.companies_renamed += 1
        state.company_names[row.id] = wanted["name"]
        state.listener.company_renamed(row.id, row.name, wanted["name"])
    if row.parent_id != wanted["parent_id"]:
        state.listener.company_moved(row.id, row.parent_id, wanted["parent_id"])


def _unlink(state: ApplyState, row: Row[Any], updates: list[dict[str, Any]]) -> None:
    gone = _values(row)
    gone["unlinked_at"] = state.now
    updates.append(gone)
    state.counts.companies_unlinked += 1
    state.listener.company_unlinked(row.id, row.name)


def _apply_msp_companies(
    state: ApplyState,
    existing: Existing,
    holders: set[tuple[str, str]],
    updates: list[dict[str, Any]],
) -> None:
    records = {record.portal_id: record for record in state.snapshot.companies}
    root = state.snapshot.root
    new = [record for record in records.values() if (MSP, record.portal_id) not in existing]
    _insert_companies(state, new, records, holders)
    for record in records.values():
        row = existing.get((MSP, record.portal_id))
        company_id = state.company_ids[(MSP, record.portal_id)]
        state.present.add(company_id)
        if row is None:
            continue
        wanted = _values(row)
        wanted.update(
            name=record.name,
            entity_type=record.entity_type,
            portal_status=record.status,
            email=record.email,
            access=record.access,
            parent_id=state.company_ids.get((MSP, record.parent_portal_id))
            if record.parent_portal_id
            else None,
            unlinked_at=None,
            in_license_tree=(MSP, record.portal_id) in holders,
        )
        if record is root:
            wanted["custom_identifier"] = record.custom_identifier
        if wanted != _values(row):
            updates.append(wanted)
            _note_update(state, row, wanted)
    if root is not None:
        state.root_company_id = state.company_ids[(MSP, root.portal_id)]
    for (source, portal_id), row in existing.items():
        if source == MSP and portal_id not in records and row.unlinked_at is None:
            _unlink(state, row, updates)


def _depths(records: dict[str, CompanyRecord]) -> dict[str, int]:
    """Each company's depth below the top of the snapshot (a parent first, cycles cut)."""
    depth: dict[str, int] = {}
    for start in records:
        chain: list[str] = []
        portal_id = start
        while portal_id not in depth:
            record = records.get(portal_id)
            parent = record.parent_portal_id if record else None
            if parent is None or parent not in records or parent in chain:
                depth[portal_id] = 0
                break
            chain.append(portal_id)
            portal_id = parent
        for item in reversed(chain):
            parent_id = records[item].parent_portal_id
            depth[item] = depth[parent_id] + 1 if parent_id in depth else 0
    return depth


def _insert_companies(
    state: ApplyState,
    new: list[CompanyRecord],
    records: dict[str, CompanyRecord],
    holders: set[tuple[str, str]],
) -> None:
    """Insert new companies level by level, so every parent has its id first."""
    depth = _depths(records)
    levels: dict[int, list[CompanyRecord]] = {}
    for record in new:
        levels.setdefault(depth[record.portal_id], []).append(record)
    constants = {
        "account_id": state.account_id,
        "source": MSP,
        "setup_state": state.new_setup_state,
        "first_seen_at": state.now,
    }
    for level in sorted(levels):
        rows = [
            NewCompany(
                record.portal_id,
                record.name,
                record.entity_type,
                record.status,
                record.email,
                record.access,
                record.custom_identifier,
                state.company_ids.get((MSP, record.parent_portal_id))
                if record.parent_portal_id
                else None,
                (MSP, record.portal_id) in holders,
            )
            for record in levels[level]
        ]
        before = state.conn.scalar(select(func.max(_columns.id))) or 0
        state.writer.insert(companies, NewCompany._fields, rows, constants)
        for company_id, portal_id, name, parent_id in state.conn.execute(
            select(_columns.id, _columns.portal_id, _columns.name, _columns.parent_id).where(
                _columns.account_id == state.account_id,
                _columns.source == MSP,
                _columns.id > before,
            )
        ):
            state.company_ids[(MSP, portal_id)] = company_id
            state.company_names[company_id] = name
            state.listener.company_added(company_id, name, parent_id)
        state.counts.companies_added += len(rows)


def _apply_business_company(
    state: ApplyState,
    existing: Existing,
    holders: set[tuple[str, str]],
    updates: list[dict[str, Any]],
    business_is_msp: bool,
) -> None:
    assert state.snapshot.business_company is not None
    portal_id, name = state.snapshot.business_company
    if business_is_msp:
        chosen = state.company_ids[(MSP, portal_id)]
    else:
        row = existing.get((BUSINESS, portal_id))
        parent_id = state.root_company_id
        in_tree = (BUSINESS, portal_id) in holders
        if row is None:
            values = {
                "account_id": state.account_id,
                "source": BUSINESS,
                "portal_id": portal_id,
                "name": name,
                "parent_id": parent_id,
                "setup_state": state.new_setup_state,
                "in_license_tree": in_tree,
                "first_seen_at": state.now,
            }
            chosen = state.writer.insert_returning(companies, [values], _columns.id)[0][0]
            state.company_ids[(BUSINESS, portal_id)] = chosen
            state.counts.companies_added += 1
            state.listener.company_added(chosen, name, parent_id)
        else:
            chosen = row.id
            wanted = _values(row)
            wanted.update(name=name, parent_id=parent_id, unlinked_at=None, in_license_tree=in_tree)
            if wanted != _values(row):
                updates.append(wanted)
                _note_update(state, row, wanted)
        state.company_names[chosen] = name
    state.present.add(chosen)
    state.business_company_id = chosen
    if state.root_company_id is None:
        state.root_company_id = chosen
    for (source, _portal_id), row in existing.items():
        if source == BUSINESS and row.id != chosen and row.unlinked_at is None:
            _unlink(state, row, updates)
