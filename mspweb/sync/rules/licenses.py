"""License rows: new ones inserted, changed ones updated, those gone from the portal removed.

A license is compared by the digest of what the portal said (:func:`~.fetch.license_digest`)
first; only licenses whose digest differs are read in full and compared field by field.
Removals are decided only from a complete listing of a portal that was read, and only for
companies present in this snapshot (an unlinked company keeps its licenses, R20).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, update

from mspweb.models import License, LicenseTag, PoolLicense
from mspweb.sync.bulk import batches
from mspweb.sync.rules.state import BUSINESS, MSP, ApplyState
from mspweb.sync.snapshot import LicenseRecord

licenses = License.__table__
pool_units = PoolLicense.__table__
tags = LicenseTag.__table__
_columns = licenses.c


class LicenseValues(NamedTuple):
    """What a sync writes of one license: the field names are the ``license`` columns."""

    company_id: int
    source: str
    product_code: str
    product_name: str
    quantity: int
    usage: int
    state: int
    trial: bool
    trial_expiration: Any
    expiration: Any
    portal_updated_at: Any
    portal_digest: str


class NewLicense(NamedTuple):
    """A license row to insert: its key, then its values."""

    public_key: str
    values: LicenseValues


_FIELDS = LicenseValues._fields
_UPDATE = (
    update(licenses)
    .where(_columns.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _FIELDS})
)


def _wanted(state: ApplyState) -> Iterator[tuple[LicenseRecord, str, int]]:
    for record in state.snapshot.msp_licenses:
        assert record.company_portal_id is not None
        yield record, MSP, state.company_ids[(MSP, record.company_portal_id)]
    if state.business_company_id is not None:
        for record in state.snapshot.business_licenses:
            yield record, BUSINESS, state.business_company_id


def values_of(record: LicenseRecord, source: str, company_id: int) -> LicenseValues:
    """The row values the portal's `record` asks for."""
    return LicenseValues(
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
        record.digest,
    )


def apply_licenses(state: ApplyState) -> None:
    """Insert, update and remove the account's licenses."""
    existing = state.existing.licenses
    new: list[NewLicense] = []
    suspects: dict[int, LicenseValues] = {}  # license id -> wanted values
    suspect_keys: dict[int, str] = {}
    seen: set[str] = set()
    for record, source, company_id in _wanted(state):
        key = record.public_key
        if key in seen:  # listed by both portals: the first wins
            continue
        seen.add(key)
        if key in state.streamed_keys:
            continue  # inserted while the listing was read
        brief = existing.get(key)
        if brief is not None:
            state.license_ids[key] = brief.id
            if brief.digest == record.digest and brief.company_id == company_id:
                continue  # unchanged in the portal: neither the row nor its units
        values = values_of(record, source, company_id)
        if brief is None:
            new.append(NewLicense(key, values))
        else:
            suspects[brief.id] = values
            suspect_keys[brief.id] = key
    state.counts.licenses_seen = len(seen)
    state.changed_license_ids = set(suspects)
    _update_licenses(state, suspects, suspect_keys)
    _insert_licenses(state, new)
    _remove_licenses(state, seen)


def _remove_licenses(state: ApplyState, seen: set[str]) -> None:
    snapshot = state.snapshot
    fetched = {
        source
        for source, flag in ((MSP, snapshot.has_msp), (BUSINESS, snapshot.has_business))
        if flag
    }
    removed = [
        brief
        for key, brief in state.existing.licenses.items()
        if key not in seen and brief.source in fetched and brief.company_id in state.present
    ]
    if removed:
        keys = {brief.id: key for key, brief in state.existing.licenses.items() if key not in seen}
        for brief in removed:
            state.listener.license_removed(brief.id, keys[brief.id], brief.company_id)
        ids = [brief.id for brief in removed]
        state.writer.delete_ids(pool_units, pool_units.c.license_id, ids)
        state.writer.delete_ids(tags, tags.c.license_id, ids)
        state.writer.delete_ids(licenses, _columns.id, ids)
    state.counts.licenses_removed = len(removed)


def _update_licenses(
    state: ApplyState, suspects: dict[int, LicenseValues], keys: dict[int, str]
) -> None:
    """Compare the licenses whose digest changed with their rows; update what differs."""
    fields = [_columns[name] for name in _FIELDS]
    changed: list[dict[str, Any]] = []
    digest_only: list[dict[str, Any]] = []
    for batch in batches(list(suspects), 500):
        for row in state.conn.execute(select(_columns.id, *fields).where(_columns.id.in_(batch))):
            license_id, current = row[0], LicenseValues(*row[1:])
            wanted = suspects[license_id]
            if current == wanted:
                continue
            if current._replace(portal_digest=wanted.portal_digest) == wanted:
                digest_only.append({"b_id": license_id, "portal_digest": wanted.portal_digest})
                continue
            changed.append({"b_id": license_id, **wanted._asdict()})
            before = {
                name: old
                for name, old, new in zip(_FIELDS, current, wanted, strict=True)
                if old != new and name != "portal_digest"
            }
            state.listener.license_changed(
                license_id,
                keys[license_id],
                wanted.company_id,
                before,
                {name: getattr(wanted, name) for name in before},
            )
    state.writer.execute_many(
        update(licenses)
        .where(_columns.id == bindparam("b_id"))
        .values(portal_digest=bindparam("portal_digest")),
        digest_only,
    )
    state.writer.execute_many(_UPDATE, changed)
    state.counts.licenses_changed = len(changed)


def _insert_licenses(state: ApplyState, new: list[NewLicense]) -> None:
    """Insert new licenses in key order (kind to the unique index), then read their ids."""
    if not new:
        return
    new.sort(key=lambda item: item.public_key)
    before = state.conn.scalar(select(func.max(_columns.id))) or 0
    state.writer.insert(
        licenses,
        ("public_key", *_FIELDS),
        ((item.public_key, *item.values) for item in new),
        {"account_id": state.account_id, "first_seen_at": state.now, "version": 1},
    )
    for license_id, key, company_id in state.conn.execute(
        select(_columns.id, _columns.public_key, _columns.company_id).where(
            _columns.account_id == state.account_id, _columns.id > before
        )
    ):
        state.license_ids[key] = license_id
        state.new_license_ids.append((license_id, company_id))
        state.listener.license_added(license_id, key, company_id)
    state.counts.licenses_added += len(new)
