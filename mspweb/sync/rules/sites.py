"""Business-portal sites (R05): each site a pool can belong to, kept in step by portal id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from mspweb.models import Site
from mspweb.sync.rules.state import ApplyState
from mspweb.sync.snapshot import SiteRecord, units_of

sites_t = Site.__table__
_columns = sites_t.c

_UPDATE = (
    update(sites_t)
    .where(_columns.id == bindparam("b_id"))
    .values(
        company_id=bindparam("company_id"),
        name=bindparam("name"),
        parent_portal_id=bindparam("parent_portal_id"),
    )
)


def apply_sites(state: ApplyState) -> None:
    """Insert and update the business company's sites (those its licenses name too)."""
    if not state.snapshot.has_business or state.business_company_id is None:
        return
    existing = {
        row.portal_id: row
        for row in state.conn.execute(
            select(
                _columns.id,
                _columns.portal_id,
                _columns.company_id,
                _columns.name,
                _columns.parent_portal_id,
            ).where(_columns.account_id == state.account_id)
        )
    }
    wanted = {site.portal_id: site for site in state.snapshot.sites}
    for record in state.snapshot.business_licenses:  # an allocation to an unlisted site
        for site_id, _, _ in units_of(record):
            if site_id is not None and site_id not in wanted:
                wanted[site_id] = SiteRecord(site_id, f"Site {site_id[:8]}", None)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for site in wanted.values():
        row = existing.get(site.portal_id)
        values = {
            "company_id": state.business_company_id,
            "name": site.name,
            "parent_portal_id": site.parent_portal_id,
        }
        if row is None:
            new.append({"account_id": state.account_id, "portal_id": site.portal_id, **values})
        else:
            state.site_ids[site.portal_id] = row.id
            if (row.company_id, row.name, row.parent_portal_id) != tuple(values.values()):
                changed.append({"b_id": row.id, **values})
    for site_id, portal_id in state.writer.insert_returning(
        sites_t, new, _columns.id, _columns.portal_id
    ):
        state.site_ids[portal_id] = site_id
    state.writer.execute_many(_UPDATE, changed)
