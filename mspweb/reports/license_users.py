"""The License User report: licenses in pools grouped by License User, customer, product,
pool or tag (R10), with License Management's filters and scope (R12).

It aggregates License Management's own row query (`RowQuery`), so a group holds exactly the
rows the License Management table shows for the same filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, distinct, func, literal, select

from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import product_choices
from mspweb.licenses.queries import RowQuery
from mspweb.licenses.status import EXPIRING_SOON_DAYS
from mspweb.models import Company, LicenseTag, Tag
from mspweb.scope import Scope

#: Group keys and their labels, in the order the page offers them.
GROUPS = {
    "user": "License User",
    "customer": "Customer",
    "product": "Product",
    "pool": "Pool",
    "tag": "Tag",
}
#: Sortable columns: the group's name and each figure.
SORTS = ("name", "licenses", "units", "used", "overused", "expiring", "expired")
FIGURES = SORTS[1:]
NO_TAG = "(no tag)"


@dataclass(frozen=True)
class ReportFilters:
    """The report's parameters: License Management's filters, the group key and the sort."""

    licenses: LicenseFilters
    group: str = "user"
    sort: str = "name"
    dir: str = "asc"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReportFilters:
        """Parse the query string; unknown values take their defaults."""
        group = args.get("group") or "user"
        sort = args.get("sort") or "name"
        return cls(
            licenses=LicenseFilters.from_args({k: v for k, v in args.items() if k != "sort"}),
            group=group if group in GROUPS else "user",
            sort=sort if sort in SORTS else "name",
            dir="desc" if args.get("dir") == "desc" else "asc",
        )

    def args(self, **changes: str) -> dict[str, str | int]:
        """The URL arguments (defaults left out), with `changes` applied."""
        values: dict[str, str | int] = {
            k: v
            for k, v in self.licenses.args().items()
            if k not in ("sort", "dir", "page", "per_page")
        }
        own = {"group": self.group, "sort": self.sort, "dir": self.dir, **changes}
        defaults = {"group": "user", "sort": "name", "dir": "asc"}
        values.update({k: v for k, v in own.items() if v and v != defaults.get(k)})
        return values

    def sort_args(self, column: str) -> dict[str, str | int]:
        """The URL arguments for clicking a column header."""
        flip = column == self.sort and self.dir == "asc"
        return self.args(sort=column, dir="desc" if flip else "asc")


@dataclass(frozen=True)
class GroupRow:
    """One group of the report."""

    key: str
    name: str
    link: dict[str, str | int]
    licenses: int
    units: int
    used: int
    overused: int
    expiring: int
    expired: int


def _figures(rows, today: date) -> list:
    end = case((rows.c.trial, rows.c.trial_expiration), else_=rows.c.expiration)
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    return [
        func.count(distinct(rows.c.license_id)).label("licenses"),
        func.coalesce(func.sum(rows.c.units), 0).label("units"),
        func.coalesce(func.sum(rows.c.used), 0).label("used"),
        func.count(distinct(case((rows.c.used > rows.c.units, rows.c.license_id)))).label(
            "overused"
        ),
        func.count(distinct(case((and_(end >= today, end <= soon), rows.c.license_id)))).label(
            "expiring"
        ),
        func.count(distinct(case((rows.c.status == "expired", rows.c.license_id)))).label(
            "expired"
        ),
    ]


def report(filters: ReportFilters, scope: Scope, today: date) -> tuple[list[GroupRow], GroupRow]:
    """The groups (sorted as asked) and the totals row, for `filters` within `scope`."""
    products = product_choices(scope)
    base = RowQuery(filters.licenses, scope, today, products).rows().order_by(None)
    rows = base.subquery("rows")
    group = filters.group
    if group == "user":
        keys = [rows.c.license_user.label("key"), rows.c.license_user.label("name")]
        statement = select(*keys, *_figures(rows, today))
    elif group == "customer":
        # A business-portal company says so: it may bear the MSP's own name.
        name = case(
            (Company.source == "business", Company.name + literal(" (business portal)")),
            else_=Company.name,
        )
        keys = [rows.c.company_id.label("key"), name.label("name")]
        statement = select(*keys, *_figures(rows, today)).join(
            Company, Company.id == rows.c.company_id
        )
    elif group == "product":
        keys = [rows.c.product_code.label("key"), func.max(rows.c.product_name).label("name")]
        statement = select(*keys[:1], *_figures(rows, today), keys[1])
        keys = keys[:1]
    elif group == "pool":
        keys = [rows.c.pool_id.label("key"), func.max(rows.c.license_user).label("name")]
        statement = select(*keys[:1], *_figures(rows, today), keys[1])
        keys = keys[:1]
    else:  # tag: a license with several tags is in each of their groups
        tag_name = func.coalesce(Tag.name, literal(NO_TAG))
        keys = [tag_name.label("key"), tag_name.label("name")]
        statement = (
            select(*keys, *_figures(rows, today))
            .outerjoin(LicenseTag, LicenseTag.license_id == rows.c.license_id)
            .outerjoin(Tag, Tag.id == LicenseTag.tag_id)
        )
    statement = statement.select_from(rows).group_by(*[k.element for k in keys])
    groups = [_group_row(group, row) for row in db.session.execute(statement)]
    reverse = filters.dir == "desc"
    if filters.sort == "name":
        groups.sort(key=lambda g: (g.name.casefold(), g.key), reverse=reverse)
    else:
        groups.sort(key=lambda g: (getattr(g, filters.sort), g.name.casefold()), reverse=reverse)
    totals = db.session.execute(select(*_figures(rows, today)).select_from(rows)).one()
    total = GroupRow("", "Total", {}, *(int(getattr(totals, name)) for name in FIGURES))
    return groups, total


def _group_row(group: str, row) -> GroupRow:
    key = str(row.key)
    name = row.name or key
    link: dict[str, str | int] = {  # License Management showing exactly this group's rows
        "user": {"user": name},
        "customer": {"customer": key},
        "product": {"product": key},
        "pool": {"pool": key},
        "tag": {"tag": key} if key != NO_TAG else {"untagged": "1"},
    }[group]
    return GroupRow(key, name, link, *(int(getattr(row, name_)) for name_ in FIGURES))
