"""Managed Customers queries, confined to the current scope, with counts in grouped queries.

A page costs a constant number of queries whatever its size: the page of customers (with
their parent's name joined in), the total, the license statistics of the companies on the
page (one GROUP BY), and the count per status for the filter.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import aliased

from mspweb.extensions import db
from mspweb.models import Company, CustomerStatus, EntityType, License, SetupState
from mspweb.pagination import Page, paginate
from mspweb.scope import current_scope

CUSTOMERS_PER_PAGE = 50
STATUSES = [status.value for status in CustomerStatus]


@dataclass(frozen=True)
class CustomerFilters:
    """Search text and status filter, as they appear in the URL (`q`, `status`)."""

    q: str = ""
    status: str | None = None

    @classmethod
    def from_args(cls, args) -> CustomerFilters:
        """Read the filters from the query string, ignoring an unknown status."""
        status = args.get("status") or None
        return cls(
            q=(args.get("q") or "").strip()[:200], status=status if status in STATUSES else None
        )

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (empty ones left out)."""
        return {key: value for key, value in (("q", self.q), ("status", self.status)) if value}


@dataclass(frozen=True)
class CustomerRow:
    """One customer with its parent's name and its license figures."""

    company: Company
    parent_name: str | None
    licenses: int = 0
    used: int = 0
    units: int = 0

    @property
    def overused(self) -> bool:
        """True when the customer uses more seats than its licenses hold."""
        return self.used > self.units


def status_clause(status: str) -> ColumnElement[bool]:
    """SQL for one customer status (R15): unlinked wins over the setup state."""
    linked = Company.unlinked_at.is_(None)
    if status == CustomerStatus.UNLINKED:
        return Company.unlinked_at.is_not(None)
    if status == CustomerStatus.SET_UP:
        return and_(
            linked, Company.setup_state.in_([SetupState.SET_UP.value, SetupState.SKIPPED.value])
        )
    return and_(linked, Company.setup_state == SetupState.NOT_SET_UP.value)


def _customers(filters: CustomerFilters, with_status: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clauses for the visible customers matching `filters`."""
    clauses = [Company.entity_type == EntityType.CUSTOMER.value, current_scope().covers(Company.id)]
    if filters.q:
        pattern = (
            "%"
            + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        clauses.append(
            or_(
                func.lower(Company.name).like(pattern, escape="\\"),
                func.lower(Company.custom_identifier).like(pattern, escape="\\"),
                func.lower(Company.email).like(pattern, escape="\\"),
            )
        )
    if with_status and filters.status:
        clauses.append(status_clause(filters.status))
    return clauses


def customer_page(filters: CustomerFilters, number: int, counts: dict[str, int]) -> Page:
    """One page of customers (rows of `CustomerRow`), by name; `counts` from `status_counts`
    give the total without counting again."""
    parent = aliased(Company)
    scope = current_scope()
    # The parent is named when it is visible too. In a confined scope (a subtree) that is every
    # company's parent except the subtree's top, so no second pass over the scope is needed.
    parent_visible = true() if scope.is_unrestricted else Company.id != scope.company_id
    query = (
        select(Company, parent.name)
        .outerjoin(parent, and_(parent.id == Company.parent_id, parent_visible))
        .where(*_customers(filters))
        .order_by(func.lower(Company.name), Company.id)
    )
    total = counts[filters.status] if filters.status else sum(counts.values())
    page = paginate(query, number, CUSTOMERS_PER_PAGE, scalars=False, total=total)
    rows = _with_license_stats([(company, parent_name) for company, parent_name in page.items])
    return Page(items=rows, number=page.number, per_page=page.per_page, total=page.total)


def _with_license_stats(pairs: list[tuple[Company, str | None]]) -> list[CustomerRow]:
    """Attach license count and seat usage to each company: one grouped query."""
    ids = [company.id for company, _ in pairs]
    stats = {}
    if ids:
        stats = {
            company_id: (count, used, units)
            for company_id, count, used, units in db.session.execute(
                select(
                    License.company_id,
                    func.count(License.id),
                    func.coalesce(func.sum(License.usage), 0),
                    func.coalesce(func.sum(License.quantity), 0),
                )
                .where(License.company_id.in_(ids))
                .group_by(License.company_id)
            )
        }
    return [
        CustomerRow(company, parent_name, *stats.get(company.id, (0, 0, 0)))
        for company, parent_name in pairs
    ]


def status_counts(filters: CustomerFilters) -> dict[str, int]:
    """How many visible customers match the search in each status (for the filter's labels)."""
    status = case(
        (Company.unlinked_at.is_not(None), CustomerStatus.UNLINKED.value),
        (Company.setup_state == SetupState.NOT_SET_UP.value, CustomerStatus.NOT_SET_UP.value),
        else_=CustomerStatus.SET_UP.value,
    )
    counts: dict[str, int] = dict(
        db.session.execute(
            select(status, func.count())
            .where(*_customers(filters, with_status=False))
            .group_by(status)
        ).all()
    )
    return {value: counts.get(value, 0) for value in STATUSES}


def get_customer(company_id: int) -> CustomerRow:
    """A visible customer as a row (with its figures), or 404: nothing is revealed."""
    scope = current_scope()
    company = db.session.scalar(
        select(Company).where(
            Company.id == company_id,
            Company.entity_type == EntityType.CUSTOMER.value,
            scope.covers(Company.id),
        )
    )
    if company is None:
        abort(404)
    parent = (
        company.parent if company.parent_id and scope.allows_company(company.parent_id) else None
    )
    return _with_license_stats([(company, parent.name if parent else None)])[0]
