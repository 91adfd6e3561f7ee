"""`/api/v1/reports/license-users`: the License User report (issue 13's reports), licenses in
pools grouped by License User, customer, product, pool or tag (R10), with License Management's
filters in the API's ids, in the token's scope (R12), paged with a `next` link.

The groups and totals are the page's own (`mspweb.reports.license_user_views.cached_report`):
the same query, the same order, the same cache.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from mspweb.api.blueprint import bp
from mspweb.api.paging import ok, page_info
from mspweb.api.schemas import LicenseFilterQuery, PageInfo
from mspweb.api.spec import responses, spec
from mspweb.api.views_licenses import license_filters
from mspweb.extensions import db
from mspweb.models import Company, LicensePool
from mspweb.pagination import Page
from mspweb.reports.license_user_views import cached_report
from mspweb.reports.license_users import FIGURES, GROUPS, NO_TAG, SORTS, GroupRow, ReportFilters

GroupKey = Literal["user", "customer", "product", "pool", "tag"]
ReportSort = Literal["name", "licenses", "units", "used", "overused", "expiring", "expired"]
# The report page's names, spelled out for the type checker: they must agree.
assert GroupKey.__args__ == tuple(GROUPS)  # type: ignore[attr-defined]
assert ReportSort.__args__ == SORTS  # type: ignore[attr-defined]


class LicenseUserQuery(LicenseFilterQuery):
    """The group key, the sort (the group's name or a figure), License Management's filters
    (a company by its portal id) and paging."""

    group: GroupKey = "user"
    sort: ReportSort = "name"
    dir: Literal["asc", "desc"] = "asc"
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(50, ge=1, le=200)


class LicenseFiguresOut(BaseModel):
    """A group's figures (or the totals: each license counted once)."""

    licenses: int = Field(description="Licenses in the group")
    units: int = Field(description="Units bought")
    used: int = Field(description="Units used")
    overused: int = Field(description="Licenses using more units than bought")
    expiring: int = Field(description="Licenses ending within 30 days")
    expired: int = Field(description="Expired licenses")


class LicenseUserGroupOut(LicenseFiguresOut):
    """One group of the report, with its name as the page shows it."""

    name: str
    key: str | None = Field(
        description="The group in the API's ids: the License User, the company's portal id, "
        "the product code, the pool's key (msp:<portal id>, business:<portal id>:<site>), "
        "the tag; null for the licenses without a tag"
    )
    account_id: int | None = Field(description="The company's or pool's account (customer, pool)")
    company_portal_id: str | None = Field(
        description="The customer's portal id, or the pool's company's (customer, pool)"
    )


class LicenseUsersOut(PageInfo):
    """A page of the groups, in the report's order, and the totals of all of them."""

    group: GroupKey
    sort: ReportSort
    dir: Literal["asc", "desc"]
    items: list[LicenseUserGroupOut]
    totals: LicenseFiguresOut


@bp.get("/reports/license-users")
@spec.validate(query=LicenseUserQuery, resp=responses(200, LicenseUsersOut), tags=["reports"])
def report_license_users(query: LicenseUserQuery):
    """Licenses grouped by the chosen key, one item per group, with the totals row."""
    filters = ReportFilters(
        licenses=license_filters(query), group=query.group, sort=query.sort, dir=query.dir
    )
    groups, total = cached_report(filters)
    start = (query.page - 1) * query.per_page
    page = Page(groups[start : start + query.per_page], query.page, query.per_page, len(groups))
    return ok(
        {
            "group": query.group,
            "sort": query.sort,
            "dir": query.dir,
            "items": _items(query.group, page.items),
            "totals": _figures(total),
            **page_info(page, query.model_dump(exclude_defaults=True)),
        }
    )


def _figures(row: GroupRow) -> dict[str, int]:
    return {name: getattr(row, name) for name in FIGURES}


def _items(group: str, rows: list[GroupRow]) -> list[dict]:
    """The page's groups in the API's ids (the report keys customers and pools by row id)."""
    owners = _owners(group, [int(row.key) for row in rows]) if group in ("customer", "pool") else {}
    items = []
    for row in rows:
        key: str | None = None if group == "tag" and row.key == NO_TAG else row.key
        account: int | None = None
        portal_id: str | None = None
        if group in ("customer", "pool"):  # never the internal id, even for a vanished row
            key, account, portal_id = owners.get(row.key, (None, None, None))
        items.append(
            {
                "name": row.name,
                "key": key,
                "account_id": account,
                "company_portal_id": portal_id,
                **_figures(row),
            }
        )
    return items


def _owners(group: str, ids: list[int]) -> dict[str, tuple[str | None, int | None, str | None]]:
    """Row id (as the report keys it) -> (public key, account, company portal id) of the
    customers or pools `ids`."""
    if not ids:
        return {}
    if group == "customer":
        companies = select(Company.id, Company.account_id, Company.portal_id)
        return {
            str(id_): (portal_id, account, portal_id)
            for id_, account, portal_id in db.session.execute(companies.where(Company.id.in_(ids)))
        }
    pools = (
        select(LicensePool.id, LicensePool.key, LicensePool.account_id, Company.portal_id)
        .join(Company, Company.id == LicensePool.company_id)
        .where(LicensePool.id.in_(ids))
    )
    return {
        str(id_): (key, account, portal_id)
        for id_, key, account, portal_id in db.session.execute(pools)
    }
