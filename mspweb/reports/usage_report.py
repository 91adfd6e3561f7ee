"""The Usage report: seats used and seats bought per day, for a range, an account or one
customer, one product or all (R12: a customer user sees its own company's curve only).

The account-wide curve of an administrator comes from `usage_account_day` (a few thousand
rows for 13 months); a customer's, or an operator's part of the tree, from the month rows.
Seats bought are known on the days a report range ended on (month ends, sync days); between
them the last known figure carries forward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Company
from mspweb.models.usage import UsageAccountDay, UsageMonth
from mspweb.params import query_int
from mspweb.scope import Scope
from mspweb.usage.store import add_months, month_start

RANGES = {
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "13m": "Last 13 months",
    "custom": "From / to",
}
MAX_DAYS = 800


class UsageRangeError(ValueError):
    """A from/to range that cannot be shown; the message says why."""


@dataclass(frozen=True)
class UsageFilters:
    """The Usage page's parameters."""

    range: str = "30d"
    start: date | None = None
    end: date | None = None
    account: int | None = None
    company: int | None = None
    product: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> UsageFilters:
        """Parse the query string; a malformed from/to raises UsageRangeError."""
        chosen = args.get("range") or ("custom" if args.get("from") or args.get("to") else "30d")
        start = end = None
        if chosen == "custom":
            try:
                start = date.fromisoformat(args.get("from") or "")
                end = date.fromisoformat(args.get("to") or "")
            except ValueError:
                raise UsageRangeError("From and to must be days (YYYY-MM-DD).") from None
            if start > end:
                raise UsageRangeError("From must not be after to.")
            if (end - start).days + 1 > MAX_DAYS:
                raise UsageRangeError(f"Show at most {MAX_DAYS} days at a time.")
        return cls(
            range=chosen if chosen in RANGES else "30d",
            start=start,
            end=end,
            account=query_int(args.get("account")),
            company=query_int(args.get("company")),
            product=(args.get("product") or "").strip() or None,
        )

    def days(self, today: date) -> tuple[date, date]:
        """The first and last day shown."""
        if self.range == "custom" and self.start and self.end:
            return self.start, self.end
        if self.range == "90d":
            return today - timedelta(days=89), today
        if self.range == "13m":
            return add_months(month_start(today), -12), today
        return today - timedelta(days=29), today

    def args(self, **changes) -> dict[str, str | int]:
        """The URL arguments (defaults left out)."""
        values: dict[str, str | int | None] = {
            "range": self.range if self.range != "30d" else None,
            "from": self.start.isoformat() if self.range == "custom" and self.start else None,
            "to": self.end.isoformat() if self.range == "custom" and self.end else None,
            "account": self.account,
            "company": self.company,
            "product": self.product,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class UsageSeries:
    """The curve: one entry per day."""

    days: list[date] = field(default_factory=list)
    used: list[int] = field(default_factory=list)
    bought: list[int | None] = field(default_factory=list)

    def as_json(self) -> dict:
        """The chart's data: days as ISO text, seats used, seats bought."""
        return {
            "days": [day.isoformat() for day in self.days],
            "used": self.used,
            "bought": self.bought,
        }


def _carry_forward(values: list[int | None]) -> list[int | None]:
    known = next((value for value in values if value is not None), None)
    out: list[int | None] = []
    for value in values:
        known = value if value is not None else known
        out.append(known)
    return out


def usage_series(account_id: int, filters: UsageFilters, scope: Scope, today: date) -> UsageSeries:
    """Seats used and bought per day of the filters' range, within `scope`."""
    first, last = filters.days(today)
    size = (last - first).days + 1
    used = [0] * size
    bought: list[int | None] = [None] * size
    if filters.company is None and scope.is_unrestricted:
        query = (
            select(
                UsageAccountDay.day,
                func.sum(UsageAccountDay.used),
                func.sum(UsageAccountDay.bought),
            )
            .where(UsageAccountDay.account_id == account_id)
            .where(UsageAccountDay.day >= first, UsageAccountDay.day <= last)
            .group_by(UsageAccountDay.day)
        )
        if filters.product:
            query = query.where(UsageAccountDay.product_code == filters.product)
        for day, day_used, day_bought in db.session.execute(query):
            used[(day - first).days] = int(day_used or 0)
            bought[(day - first).days] = int(day_bought) if day_bought is not None else None
    else:
        query = (
            select(UsageMonth.month, UsageMonth.days, UsageMonth.seats)
            .where(UsageMonth.account_id == account_id, scope.covers(UsageMonth.company_id))
            .where(UsageMonth.month >= month_start(first), UsageMonth.month <= last)
        )
        if filters.company is not None:
            query = query.where(UsageMonth.company_id == filters.company)
        if filters.product:
            query = query.where(UsageMonth.product_code == filters.product)
        for row in db.session.execute(query):
            for index, value in enumerate(row.days):
                offset = (row.month + timedelta(days=index) - first).days
                if 0 <= offset < size:
                    used[offset] += value or 0
                    if row.seats[index] is not None:
                        bought[offset] = (bought[offset] or 0) + row.seats[index]
    return UsageSeries(
        [first + timedelta(days=i) for i in range(size)], used, _carry_forward(bought)
    )


def usage_choices(account_id: int, scope: Scope) -> tuple[list[tuple[int, str]], list[str]]:
    """The customers (id, name) and product codes with usage in the account, within scope."""
    companies = db.session.execute(
        select(Company.id, Company.name)
        .where(Company.id.in_(
            select(UsageMonth.company_id).where(UsageMonth.account_id == account_id).distinct()
        ))
        .where(scope.covers(Company.id))
        .order_by(Company.name)
    ).all()  # fmt: skip
    codes = db.session.scalars(
        select(UsageMonth.product_code)
        .where(UsageMonth.account_id == account_id, scope.covers(UsageMonth.company_id))
        .distinct()
        .order_by(UsageMonth.product_code)
    ).all()
    return [(row.id, row.name) for row in companies], list(codes)
