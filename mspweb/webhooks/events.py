"""The events of a finished sync, built from the committed database (in an RQ job).

- sync.succeeded / sync.failed: the run.
- company.added / renamed / unlinked: the run's ChangeRecord rows.
- license.overused: a license in a pool that uses more units than it holds, once while it
  stays so (`WebhookEventState` remembers; the state clears when it stops, so it fires again
  when it becomes overused again).
- license.expiring: N days (per endpoint) before the end date; license.expired: once the end
  date passed (or the portal says obsolete): once per license and end date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from mspweb.extensions import db
from mspweb.licenses.status import end_date_expr
from mspweb.models import (
    ChangeRecord,
    Company,
    License,
    LicensePool,
    LicenseState,
    PoolLicense,
    SyncRun,
    WebhookEndpoint,
    WebhookEventState,
)
from mspweb.models.base import utcnow
from mspweb.webhooks.dispatch import emit, subscribers

COMPANY_EVENTS = ("company.added", "company.renamed", "company.unlinked")

Event = tuple[str, dict[str, Any]]


def run_data(run: SyncRun) -> dict[str, Any]:
    """A sync run as event data."""
    return {
        "run_id": run.id,
        "account_id": run.account_id,
        "account": run.account.name if run.account else None,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
        "licenses_added": run.licenses_added,
        "licenses_changed": run.licenses_changed,
        "licenses_removed": run.licenses_removed,
        "companies_added": run.companies_added,
        "companies_unlinked": run.companies_unlinked,
    }


def emit_sync_events(run_id: int, today: date | None = None) -> int:
    """Build and emit every event of a finished run; returns how many deliveries it made."""
    run = db.session.get(SyncRun, run_id)
    if run is None or run.status not in ("succeeded", "failed"):
        return 0
    if run.status == "failed":
        return len(emit([("sync.failed", run_data(run))]))
    today = today or date.today()
    ids = emit([("sync.succeeded", run_data(run)), *company_events(run)])
    ids += emit(overuse_events(run.account_id))
    ids += emit(expired_events(run.account_id, today))
    for endpoint in subscribers("license.expiring"):
        ids += emit(expiring_events(run.account_id, endpoint, today), [endpoint])
    return len(ids)


def company_events(run: SyncRun) -> list[Event]:
    """company.* events from the run's change records."""
    records = db.session.scalars(
        select(ChangeRecord)
        .where(ChangeRecord.sync_run_id == run.id, ChangeRecord.kind.in_(COMPANY_EVENTS))
        .order_by(ChangeRecord.id)
    )
    events = []
    for record in records:
        company = record.company
        events.append(
            (
                record.kind,
                {
                    "account_id": record.account_id,
                    "run_id": run.id,
                    "portal_id": record.company_portal_id,
                    "name": company.name if company else None,
                    "field": record.field,
                    "old": record.old,
                    "new": record.new,
                },
            )
        )
    return events


def _license_data(row) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "key": row.public_key,
        "product_code": row.product_code,
        "product_name": row.product_name,
        "company_portal_id": row.portal_id,
        "used": row.usage,
        "units": row.quantity,
        "end_date": row.end_date.isoformat() if row.end_date else None,
    }


def _rows(account_id: int, *conditions):
    return db.session.execute(
        select(
            License.account_id,
            License.public_key,
            License.product_code,
            License.product_name,
            Company.portal_id,
            PoolLicense.usage,
            PoolLicense.quantity,
            LicensePool.key.label("pool_key"),
            end_date_expr().label("end_date"),
        )
        .select_from(PoolLicense)
        .join(License, License.id == PoolLicense.license_id)
        .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
        .join(Company, Company.id == LicensePool.company_id)
        .where(License.account_id == account_id, Company.unlinked_at.is_(None), *conditions)
        .order_by(License.public_key, LicensePool.key)
    ).all()


def _fire_once(
    scope: str, account_id: int, current: dict[str, Event], clear_ended: bool
) -> list[Event]:
    """The events of `current` (subject -> event) not yet fired in `scope`; records them, and
    with `clear_ended` clears the subjects no longer current (so they can fire again)."""
    states = {
        state.subject: state
        for state in db.session.scalars(
            select(WebhookEventState).where(
                WebhookEventState.scope == scope, WebhookEventState.account_id == account_id
            )
        )
    }
    now = utcnow()
    fired = []
    for subject, event in current.items():
        state = states.get(subject)
        if state is not None and state.active:
            continue
        if state is None:
            db.session.add(
                WebhookEventState(
                    scope=scope, subject=subject, account_id=account_id, updated_at=now
                )
            )
        else:
            state.active, state.updated_at = True, now
        fired.append(event)
    if clear_ended:
        for subject, state in states.items():
            if state.active and subject not in current:
                state.active, state.updated_at = False, now
    db.session.commit()
    return fired


def overuse_events(account_id: int) -> list[Event]:
    """license.overused for each license in a pool that newly uses more than it holds."""
    rows = _rows(account_id, PoolLicense.usage > PoolLicense.quantity)
    current = {
        f"{row.public_key}|{row.pool_key}": ("license.overused", _license_data(row)) for row in rows
    }
    return _fire_once("license.overused", account_id, current, clear_ended=True)


def expired_events(account_id: int, today: date) -> list[Event]:
    """license.expired, once per license and end date."""
    ends = end_date_expr()
    rows = _rows(account_id, or_(ends < today, License.state == int(LicenseState.OBSOLETE)))
    current = {
        f"{row.public_key}|{row.end_date}": ("license.expired", _license_data(row)) for row in rows
    }
    return _fire_once("license.expired", account_id, current, clear_ended=False)


def expiring_events(account_id: int, endpoint: WebhookEndpoint, today: date) -> list[Event]:
    """license.expiring for `endpoint`: end date within its N days, once per end date."""
    ends = end_date_expr()
    soon = today + timedelta(days=endpoint.expiring_days)
    rows = _rows(account_id, and_(ends >= today, ends <= soon))
    current = {}
    for row in rows:
        data = _license_data(row) | {"days_left": (row.end_date - today).days}
        current[f"{row.public_key}|{row.end_date}"] = ("license.expiring", data)
    return _fire_once(f"license.expiring:{endpoint.id}", account_id, current, clear_ended=False)
