"""Change records as the command line and the pages show them.

`as_json` is the contract of ``flask accounts changes ID --json`` (and of the webhook events
that read the same rows): ``run``, ``kind``, ``company``, ``license``, ``field``, ``old``,
``new``, plus ``id``, ``at`` and ``day``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from mspweb.models import ChangeKind, ChangeRecord

#: The kinds, as the pages offer them in their filters, with a few words each.
KIND_LABELS: dict[str, str] = {
    ChangeKind.COMPANY_ADDED.value: "Company added",
    ChangeKind.COMPANY_RENAMED.value: "Company renamed",
    ChangeKind.COMPANY_MOVED.value: "Company moved",
    ChangeKind.COMPANY_UNLINKED.value: "Company unlinked",
    ChangeKind.COMPANY_RELINKED.value: "Company relinked",
    ChangeKind.COMPANY_STATUS.value: "Company status changed",
    ChangeKind.LICENSE_ADDED.value: "License added",
    ChangeKind.LICENSE_REMOVED.value: "License removed",
    ChangeKind.LICENSE_CHANGED.value: "License changed",
    ChangeKind.POOL_CREATED.value: "Pool created",
    ChangeKind.POOL_EMPTIED.value: "Pool emptied",
}


def as_json(record: ChangeRecord) -> dict[str, Any]:
    """One record as `accounts changes --json` prints it."""
    return {
        "id": record.id,
        "run": record.sync_run_id,
        "kind": record.kind,
        "company": record.company_portal_id,
        "license": record.license_key,
        "field": record.field,
        "old": record.old,
        "new": record.new,
        "day": record.day.isoformat() if record.day else None,
        "at": record.created_at.isoformat() if record.created_at else None,
    }


def account_changes_query(account_id: int, run_id: int | None = None) -> Select:
    """Every change record of the account (of one run), oldest first; not scoped: for the
    command line."""
    query = select(ChangeRecord).where(ChangeRecord.account_id == account_id)
    if run_id is not None:
        query = query.where(ChangeRecord.sync_run_id == run_id)
    return query.order_by(ChangeRecord.id)
