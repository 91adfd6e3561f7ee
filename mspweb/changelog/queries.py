"""The change records a user may see (R12), filtered as the URL says, in pages.

Every query keeps the records whose company is within the user's scope: an administrator sees
all of them, an operator those of its subtree, a customer user its own company's (records
whose company row is gone are for administrators only).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from mspweb.changelog.records import KIND_LABELS
from mspweb.extensions import db
from mspweb.licenses.queries import contains_text
from mspweb.models import ChangeRecord, Company, License
from mspweb.pagination import Page, paginate
from mspweb.params import query_int
from mspweb.scope import Scope

CHANGES_PER_PAGE = 50

#: Longest text filter taken from the URL.
MAX_FILTER_LENGTH = 200


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ChangeFilters:
    """The filters of a change list, as they appear in the URL (invalid values are ignored)."""

    kind: str | None = None
    customer: str | None = None
    product: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> ChangeFilters:
        """Read `kind`, `customer`, `product`, `since`, `until` and `page`."""
        kind = args.get("kind") or None

        def text(name: str) -> str | None:
            value = " ".join((args.get(name) or "").split())[:MAX_FILTER_LENGTH]
            return value or None

        return cls(
            kind=kind if kind in KIND_LABELS else None,
            customer=text("customer"),
            product=text("product"),
            since=_date(args.get("since")),
            until=_date(args.get("until")),
            page=max(1, query_int(args.get("page")) or 1),
        )

    @property
    def is_filtered(self) -> bool:
        """True when any filter is set."""
        return any((self.kind, self.customer, self.product, self.since, self.until))

    def args(self, **overrides: Any) -> dict[str, Any]:
        """The filters as query-string arguments (empty ones left out; page 1 too)."""
        values = replace(self, **overrides) if overrides else self
        pairs = {
            "kind": values.kind,
            "customer": values.customer,
            "product": values.product,
            "since": values.since.isoformat() if values.since else None,
            "until": values.until.isoformat() if values.until else None,
            "page": values.page if values.page != 1 else None,
        }
        return {key: value for key, value in pairs.items() if value}


def change_rows(scope: Scope) -> Select:
    """Change records with their company's name and license's product, within `scope`."""
    return (
        select(
            ChangeRecord,
            Company.name.label("company_name"),
            License.product_name.label("product_name"),
        )
        .outerjoin(Company, Company.id == ChangeRecord.company_id)
        .outerjoin(License, License.id == ChangeRecord.license_id)
        .where(scope.covers(ChangeRecord.company_id))
    )


def filtered(query: Select, filters: ChangeFilters, kind: bool = True) -> Select:
    """`query` limited by `filters` (without the kind filter when `kind` is False)."""
    if kind and filters.kind:
        query = query.where(ChangeRecord.kind == filters.kind)
    if filters.customer:
        query = query.where(
            or_(
                contains_text(Company.__table__.c.name, filters.customer),
                ChangeRecord.company_portal_id == filters.customer,
            )
        )
    if filters.product:
        query = query.where(
            or_(
                contains_text(License.__table__.c.product_name, filters.product),
                License.product_code == filters.product,
            )
        )
    if filters.since:
        start = datetime.combine(filters.since, time.min, tzinfo=UTC)
        query = query.where(ChangeRecord.created_at >= start)
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(ChangeRecord.created_at < end)
    return query


def run_changes(scope: Scope, run_id: int, filters: ChangeFilters) -> Select:
    """One run's visible changes, grouped by kind (in the order of KIND_LABELS)."""
    order = {kind: index for index, kind in enumerate(KIND_LABELS)}
    from sqlalchemy import case

    return filtered(change_rows(scope).where(ChangeRecord.sync_run_id == run_id), filters).order_by(
        case(order, value=ChangeRecord.kind, else_=len(order)), ChangeRecord.id
    )


def account_changes(scope: Scope, account_id: int, filters: ChangeFilters) -> Select:
    """The account's visible changes across its syncs, newest first."""
    return filtered(
        change_rows(scope).where(ChangeRecord.account_id == account_id), filters
    ).order_by(ChangeRecord.id.desc())


def kind_counts(scope: Scope, filters: ChangeFilters, **where: int) -> dict[str, int]:
    """How many visible changes of each kind match `filters` (all kinds), for the summary;
    `where` is `sync_run_id=` or `account_id=`."""
    query = (
        select(ChangeRecord.kind, func.count())
        .outerjoin(Company, Company.id == ChangeRecord.company_id)
        .outerjoin(License, License.id == ChangeRecord.license_id)
        .where(scope.covers(ChangeRecord.company_id))
        .where(*(getattr(ChangeRecord, name) == value for name, value in where.items()))
        .group_by(ChangeRecord.kind)
    )
    counts = dict(db.session.execute(filtered(query, filters, kind=False)).all())
    return {kind: counts[kind] for kind in KIND_LABELS if counts.get(kind)}


def change_page(query: Select, number: int) -> Page:
    """One page of change rows."""
    return paginate(query, number, CHANGES_PER_PAGE, scalars=False)


def company_history(scope: Scope, company_id: int, limit: int = 200) -> list:
    """The company's own changes and its licenses', newest first (at most `limit`)."""
    return list(
        db.session.execute(
            change_rows(scope)
            .where(ChangeRecord.company_id == company_id)
            .order_by(ChangeRecord.id.desc())
            .limit(limit)
        ).all()
    )


def license_changes(scope: Scope, license: License, limit: int = 200) -> list:
    """The license's own changes (by key, so they outlive a re-added row), newest first."""
    return list(
        db.session.execute(
            change_rows(scope)
            .where(
                ChangeRecord.account_id == license.account_id,
                ChangeRecord.license_key == license.public_key,
            )
            .order_by(ChangeRecord.id.desc())
            .limit(limit)
        ).all()
    )
