"""Pools and units (R04, R05): one pool per MSP company, one per business site plus the
business company's own; each license's units in its pools. Emptied pools are removed."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, func, select, update

from mspweb.models import LicensePool, PoolLicense
from mspweb.sync.bulk import batches
from mspweb.sync.rules.state import BUSINESS, MSP, ApplyState
from mspweb.sync.snapshot import units_of

pools = LicensePool.__table__
pool_units = PoolLicense.__table__
_pool_columns = pools.c
_units = pool_units.c


class PoolOwner(NamedTuple):
    """Who a pool belongs to."""

    company_id: int
    site_id: int | None
    source: str


class NewPool(NamedTuple):
    """A pool row to insert."""

    company_id: int
    site_id: int | None
    source: str
    key: str


class NewUnit(NamedTuple):
    """A license's units in a pool, to insert."""

    pool_id: int
    license_id: int
    quantity: int
    usage: int


def pool_key_msp(company_portal_id: str) -> str:
    """The key of an MSP-portal company's pool (R04)."""
    return f"msp:{company_portal_id}"


def pool_key_business(company_portal_id: str, site_portal_id: str | None) -> str:
    """The key of a business-portal site's pool, or of the company-level one (R05)."""
    return f"business:{company_portal_id}:{site_portal_id or '-'}"


def _wanted(
    state: ApplyState, touched: set[int]
) -> tuple[dict[tuple[str, int], tuple[int, int]], dict[str, PoolOwner]]:
    """The pools the snapshot needs, and the units of the `touched` licenses in them."""
    wanted: dict[tuple[str, int], tuple[int, int]] = {}  # (pool key, license id) -> units
    owners: dict[str, PoolOwner] = {}
    snapshot = state.snapshot
    for portal_id in {record.company_portal_id for record in snapshot.msp_licenses}:
        assert portal_id is not None
        owners[pool_key_msp(portal_id)] = PoolOwner(state.company_ids[(MSP, portal_id)], None, MSP)
    if touched:
        for record in snapshot.msp_licenses:
            license_id = state.license_ids[record.public_key]
            if license_id in touched:
                assert record.company_portal_id is not None
                key = pool_key_msp(record.company_portal_id)
                wanted[(key, license_id)] = (record.quantity, record.usage)
    business = snapshot.business_company
    if business is None or state.business_company_id is None:
        return wanted, owners
    for record in snapshot.business_licenses:
        license_id = state.license_ids[record.public_key]
        for site_id, quantity, usage in units_of(record):
            key = pool_key_business(business[0], site_id)
            if key not in owners:
                site = state.site_ids.get(site_id) if site_id else None
                owners[key] = PoolOwner(state.business_company_id, site, BUSINESS)
            if license_id not in touched:
                continue
            old = wanted.get((key, license_id), (0, 0))
            wanted[(key, license_id)] = (old[0] + quantity, old[1] + usage)
    return wanted, owners


def apply_units(state: ApplyState) -> None:
    """Pools (created as needed, emptied ones removed) and each license's units in them."""
    existing_pools: dict[str, Any] = {
        row.key: row
        for row in state.conn.execute(
            select(
                _pool_columns.id, _pool_columns.key, _pool_columns.company_id, _pool_columns.site_id
            ).where(_pool_columns.account_id == state.account_id)
        )
    }
    touched = state.changed_license_ids | {
        i for i, _ in state.new_license_ids if i not in state.streamed_ids
    }  # licenses written early got their units then
    wanted, owners = _wanted(state, touched)
    pool_ids = _apply_pools(state, existing_pools, owners)
    existing_units: dict[tuple[int, int], Any] = {}  # (pool id, license id) -> its row
    for batch in batches(sorted(state.changed_license_ids), 500):
        existing_units.update(
            ((row.pool_id, row.license_id), row)
            for row in state.conn.execute(
                select(
                    _units.id, _units.pool_id, _units.license_id, _units.quantity, _units.usage
                ).where(_units.license_id.in_(batch))
            )
        )
    wanted_by_id = {
        (pool_ids[key], license_id): values for (key, license_id), values in wanted.items()
    }
    new_units: list[NewUnit] = []
    changed_units: list[dict[str, Any]] = []
    for (pool_id, license_id), (quantity, usage) in wanted_by_id.items():
        row = existing_units.get((pool_id, license_id))
        if row is None:
            new_units.append(NewUnit(pool_id, license_id, quantity, usage))
        elif (row.quantity, row.usage) != (quantity, usage):
            changed_units.append({"b_id": row.id, "quantity": quantity, "usage": usage})
    stale_units = [row.id for pair, row in existing_units.items() if pair not in wanted_by_id]
    state.writer.delete_ids(pool_units, _units.id, stale_units)
    new_units.sort()
    state.writer.insert(pool_units, NewUnit._fields, new_units)
    state.writer.execute_many(
        update(pool_units)
        .where(_units.id == bindparam("b_id"))
        .values(quantity=bindparam("quantity"), usage=bindparam("usage")),
        changed_units,
    )
    _remove_empty_pools(state, set(existing_pools) - set(owners), existing_pools)


def _apply_pools(
    state: ApplyState, existing_pools: dict[str, Row[Any]], owners: dict[str, PoolOwner]
) -> dict[str, int]:
    """Create the pools that are missing, move those whose owner changed; returns key -> id."""
    pool_ids = {key: row.id for key, row in existing_pools.items()}
    new_pools: list[NewPool] = []
    moved: list[dict[str, Any]] = []
    for key, owner in owners.items():
        row = existing_pools.get(key)
        if row is None:
            new_pools.append(NewPool(owner.company_id, owner.site_id, owner.source, key))
        elif (row.company_id, row.site_id) != (owner.company_id, owner.site_id):
            moved.append({"b_id": row.id, "company_id": owner.company_id, "site_id": owner.site_id})
    if new_pools:
        before = state.conn.scalar(select(func.max(_pool_columns.id))) or 0
        state.writer.insert(
            pools,
            NewPool._fields,
            new_pools,
            {"account_id": state.account_id, "created_at": state.now},
        )
        pool_ids.update(
            (key, pool_id)
            for pool_id, key in state.conn.execute(
                select(_pool_columns.id, _pool_columns.key).where(
                    _pool_columns.account_id == state.account_id, _pool_columns.id > before
                )
            )
        )
        for pool in new_pools:
            state.listener.pool_created(pool_ids[pool.key], pool.company_id, pool.key)
    state.writer.execute_many(
        update(pools)
        .where(_pool_columns.id == bindparam("b_id"))
        .values(company_id=bindparam("company_id"), site_id=bindparam("site_id")),
        moved,
    )
    return pool_ids


def _remove_empty_pools(
    state: ApplyState, unwanted: set[str], existing_pools: dict[str, Row[Any]]
) -> None:
    if not unwanted:
        return
    ids = [existing_pools[key].id for key in unwanted]
    held: set[int] = set()
    for batch in batches(ids, 500):
        held.update(
            state.conn.scalars(select(_units.pool_id).distinct().where(_units.pool_id.in_(batch)))
        )
    emptied = [existing_pools[key] for key in unwanted if existing_pools[key].id not in held]
    for row in emptied:
        state.listener.pool_emptied(row.id, row.company_id, row.key)
    state.writer.delete_ids(pools, _pool_columns.id, [row.id for row in emptied])
