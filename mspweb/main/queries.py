"""Queries for the dashboard, all confined to the current user's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Account, Company, License, SyncRun
from mspweb.scope import current_scope


def dashboard_summary() -> dict:
    """Counts for the dashboard tiles and the latest sync runs the user may see."""
    scope = current_scope()
    licenses = db.session.execute(
        select(
            func.count(License.id),
            func.coalesce(func.sum(License.quantity), 0),
            func.coalesce(func.sum(License.usage), 0),
            func.count(License.id).filter(License.usage > License.quantity),
        ).where(scope.covers(License.company_id))
    ).one()
    companies = db.session.scalar(select(func.count(Company.id)).where(scope.covers(Company.id)))
    summary: dict[str, Any] = {
        "licenses": licenses[0],
        "units": licenses[1],
        "used": licenses[2],
        "overused": licenses[3],
        "companies": companies,
        "accounts": None,
        "recent_runs": [],
    }
    if scope.is_unrestricted:
        summary["accounts"] = db.session.scalar(select(func.count(Account.id)))
        summary["recent_runs"] = db.session.scalars(
            select(SyncRun).order_by(SyncRun.created_at.desc()).limit(5)
        ).all()
    return summary
