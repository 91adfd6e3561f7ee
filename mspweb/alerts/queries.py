"""The alerts of a scope, each a count with a few examples and a link to the filtered view.

- licenses overused, expiring within 30 days, expired in the last 30 days (License Management
  statuses, R12-scoped on the pool's company like the table);
- failed syncs: visible accounts whose latest run failed (staff);
- customers not set up for more than 7 days (staff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import and_, func, select

from mspweb.extensions import db
from mspweb.licenses.queries import license_user_expr
from mspweb.licenses.status import end_date_expr, status_expr
from mspweb.models import (
    Account,
    Company,
    EntityType,
    License,
    LicensePool,
    PoolLicense,
    SetupState,
    Site,
    SyncRun,
)
from mspweb.models.base import utcnow
from mspweb.scope import Scope

#: Examples listed per alert.
EXAMPLES = 10

#: A customer not set up for longer than this is an alert.
SETUP_GRACE = timedelta(days=7)

#: "Expired recently": within this many days.
RECENT_DAYS = 30


@dataclass(frozen=True)
class Alert:
    """One kind of alert: how many, a few examples (text lines), where to see them all."""

    kind: str
    label: str
    count: int
    url: str
    examples: list[str] = field(default_factory=list)


def _license_rows(scope: Scope, condition, today: date):
    statement = (
        select(License.public_key, License.product_name, license_user_expr().label("user"))
        .select_from(PoolLicense)
        .join(License, License.id == PoolLicense.license_id)
        .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
        .join(Company, Company.id == LicensePool.company_id)
        .outerjoin(Site, Site.id == LicensePool.site_id)
        .where(condition, scope.covers(LicensePool.company_id))
    )
    count = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.session.execute(statement.order_by(License.public_key).limit(EXAMPLES)).all()
    return count, [f"{key} · {product} · {user}" for key, product, user in rows]


def license_alerts(scope: Scope, today: date) -> list[Alert]:
    """Overused, expiring soon, expired recently."""
    status = status_expr(today)
    ends = end_date_expr()
    alerts = []
    for kind, label, condition, link in (
        ("overused", "Licenses overused", status == "overused", {"status": "overused"}),
        ("expiring", "Expiring within 30 days", status == "expiring", {"status": "expiring"}),
        (
            "expired",
            f"Expired in the last {RECENT_DAYS} days",
            and_(status == "expired", ends >= today - timedelta(days=RECENT_DAYS)),
            {"status": "expired", "sort": "expiration", "dir": "desc"},
        ),
    ):
        count, examples = _license_rows(scope, condition, today)
        url = url_for("licenses.index", **link)  # type: ignore[arg-type]
        alerts.append(Alert(kind, label, count, url, examples))
    return alerts


def failed_sync_alert(scope: Scope) -> Alert:
    """Visible accounts whose latest sync run failed."""
    newest = select(func.max(SyncRun.id)).group_by(SyncRun.account_id)
    statement = (
        select(Account.name, SyncRun.error)
        .join(SyncRun, SyncRun.account_id == Account.id)
        .where(SyncRun.id.in_(newest), SyncRun.status == "failed")
    )
    visible = scope.account_ids()
    if visible is not None:
        statement = statement.where(Account.id.in_(visible))
    rows = db.session.execute(statement.order_by(Account.name)).all()
    examples = [f"{name}: {(error or 'failed')[:120]}" for name, error in rows[:EXAMPLES]]
    url = url_for("syncs.index", status="failed")
    return Alert("failed_syncs", "Accounts whose last sync failed", len(rows), url, examples)


def setup_alert(scope: Scope) -> Alert:
    """Customers not set up for more than 7 days."""
    statement = select(Company.name).where(
        Company.entity_type == EntityType.CUSTOMER.value,
        Company.setup_state == SetupState.NOT_SET_UP.value,
        Company.unlinked_at.is_(None),
        Company.first_seen_at < utcnow() - SETUP_GRACE,
        scope.covers(Company.id),
    )
    count = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    names = db.session.scalars(statement.order_by(Company.name).limit(EXAMPLES)).all()
    url = url_for("customers.index", status="not_set_up")
    return Alert("not_set_up", "Customers not set up for over 7 days", count, url, list(names))


def alerts_for(scope: Scope, today: date | None = None) -> list[Alert]:
    """Every alert of `scope` (customers: their licenses' alerts only)."""
    today = today or date.today()
    alerts = license_alerts(scope, today)
    if not scope.is_customer and scope.role != "anonymous":
        alerts += [failed_sync_alert(scope), setup_alert(scope)]
    return alerts
