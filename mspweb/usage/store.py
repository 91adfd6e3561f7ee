"""Writing the usage history: report ranges (MSP portal) and the day's units (business portal).

Everything here runs inside the caller's transaction (the sync's apply transaction, or the
backfill's), so a failure changes nothing (R21). Days up to a row's `final_through` are
never rewritten; a row is written only when one of its figures changed, so a resync the same
day with nothing changed writes no usage rows.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, delete, insert, select, update

from mspweb.models import Company, License, LicensePool, PoolLicense
from mspweb.models.usage import UsageAccountDay, UsageMonth
from mspweb.portal import UsageCompany

months_t = UsageMonth.__table__
account_days_t = UsageAccountDay.__table__
companies_t = Company.__table__
licenses_t = License.__table__
pools_t = LicensePool.__table__
units_t = PoolLicense.__table__

SUSPENDED = 3
LICENSE_TYPES = {1: "full", 4: "trial"}


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_in_month(month: date) -> int:
    """How many days `month` has."""
    return calendar.monthrange(month.year, month.month)[1]


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def license_type(portal_type: int) -> str:
    """The report's `licenseType` (1 full, 4 trial) in words."""
    return LICENSE_TYPES.get(portal_type, "full" if portal_type != 4 else "trial")


SeriesKey = tuple[int, str, str, str]  # company id, pool key, product code, license type


@dataclass
class _Row:
    """A month row being updated (loaded from the table, or new)."""

    id: int | None
    source: str
    product_name: str
    days: list
    seats: list
    final_through: date | None
    dirty: bool = False


@dataclass
class UsageWriter:
    """Applies usage figures to an account's month rows, then writes what changed."""

    connection: Connection
    account_id: int
    now: datetime
    rows: dict[tuple[SeriesKey, date], _Row] = field(default_factory=dict)
    by_month: dict[date, list[SeriesKey]] = field(default_factory=dict)
    loaded: set[date] = field(default_factory=set)
    rows_written: int = 0

    def _load(self, month: date) -> None:
        if month in self.loaded:
            return
        self.loaded.add(month)
        self.by_month.setdefault(month, [])
        result = self.connection.execute(
            select(
                months_t.c.id,
                months_t.c.company_id,
                months_t.c.pool_key,
                months_t.c.product_code,
                months_t.c.license_type,
                months_t.c.source,
                months_t.c.product_name,
                months_t.c.days,
                months_t.c.seats,
                months_t.c.final_through,
            ).where(months_t.c.account_id == self.account_id, months_t.c.month == month)
        )
        for found in result:
            key = (found.company_id, found.pool_key, found.product_code, found.license_type)
            self.by_month[month].append(key)
            self.rows[(key, month)] = _Row(
                found.id, found.source, found.product_name, list(found.days), list(found.seats),
                found.final_through,
            )  # fmt: skip

    def _row(self, key: SeriesKey, month: date, source: str, name: str) -> _Row:
        self._load(month)
        row = self.rows.get((key, month))
        if row is None:
            size = days_in_month(month)
            row = self.rows[(key, month)] = _Row(None, source, name, [None] * size, [None] * size,
                                                 None, dirty=True)  # fmt: skip
            self.by_month[month].append(key)
        elif name and row.product_name != name:
            row.product_name, row.dirty = name, True
        return row

    def set_day(
        self,
        key: SeriesKey,
        day: date,
        used: int,
        source: str,
        name: str,
        final: bool,
        seats: int | None = None,
    ) -> None:
        """Set one day's figure, unless that day is already final in the row."""
        month = month_start(day)
        row = self._row(key, month, source, name)
        index = day.day - 1
        if row.final_through is None or day > row.final_through:
            if row.days[index] != used:
                row.days[index], row.dirty = used, True
            if final:
                row.final_through, row.dirty = day, True
        if seats is not None and row.seats[index] != seats:
            row.seats[index], row.dirty = seats, True

    def zero_missing(self, company_ids: set[int], first: date, last: date, seen: set) -> None:
        """Days of `first..last` of rows of `company_ids` that a report range did not list:
        the company held none of that product then (0), unless already final."""
        month = month_start(first)
        months = []
        while month <= last:
            self._load(month)
            months.append(month)
            month = add_months(month, 1)
        for month in months:  # only the range's months: a backfill holds many
            for key in self.by_month[month]:
                row = self.rows[(key, month)]
                if key[0] not in company_ids or (key, month) in seen or row.source != "msp":
                    continue
                self._zero(row, month, first, last)

    @staticmethod
    def _zero(row: _Row, month: date, first: date, last: date) -> None:
        """Set the row's non-final days of `first..last` to 0."""
        day = max(first, month)
        end = min(last, month_end(month))
        while day <= end:
            final = row.final_through is not None and day <= row.final_through
            if not final and row.days[day.day - 1] not in (0, None):
                row.days[day.day - 1], row.dirty = 0, True
            day += timedelta(days=1)

    def flush(self) -> set[date]:
        """Write the rows that changed; returns the months written."""
        months: set[date] = set()
        inserts: list[dict] = []
        for (key, month), row in self.rows.items():
            if not row.dirty:
                continue
            known = [value for value in row.days if value is not None]
            values = {
                "product_name": row.product_name,
                "days": row.days,
                "seats": row.seats,
                "final_through": row.final_through,
                "seat_days": sum(known),
                "peak": max(known, default=0),
                "seats_end": row.seats[-1],
                "seats_last": next((v for v in reversed(row.seats) if v is not None), None),
                "updated_at": self.now,
            }
            if row.id is None:  # new rows go in batches (a backfill writes thousands)
                inserts.append(
                    {
                        "account_id": self.account_id,
                        "company_id": key[0],
                        "pool_key": key[1],
                        "product_code": key[2],
                        "license_type": key[3],
                        "month": month,
                        "source": row.source,
                        **values,
                    }
                )
            else:
                self.connection.execute(
                    update(months_t).where(months_t.c.id == row.id).values(**values)
                )
            row.dirty = False
            months.add(month)
            self.rows_written += 1
        for start in range(0, len(inserts), 1000):
            self.connection.execute(insert(months_t), inserts[start : start + 1000])
        if months:
            rebuild_account_days(self.connection, self.account_id, months)
        return months


def company_ids_by_portal_id(connection: Connection, account_id: int) -> dict[str, int]:
    """The account's MSP-portal companies: portal id -> row id."""
    return dict(
        connection.execute(
            select(companies_t.c.portal_id, companies_t.c.id).where(
                companies_t.c.account_id == account_id, companies_t.c.source == "msp"
            )
        ).all()
    )


def apply_report_range(
    writer: UsageWriter,
    companies: Iterable[UsageCompany],
    first: date,
    last: date,
    today: date,
    company_ids: dict[str, int],
) -> None:
    """Apply one report range (`first..last`): every day's usage, and the seats bought on
    `last`. Days before `today` are final."""
    seen: set = set()
    reported: set[int] = set()
    for company in companies:
        company_id = company_ids.get(company.company_id)
        if company_id is None:  # not mirrored (the tree changed since): nothing to file it under
            continue
        reported.add(company_id)
        for product in company.products:
            key = (company_id, "", product.code, license_type(product.license_type))
            for day, used in product.usage:
                if first <= day <= last:
                    seats = product.seats if day == last else None
                    writer.set_day(key, day, used, "msp", product.name, day < today, seats)
                    seen.add((key, month_start(day)))
    writer.zero_missing(reported, first, last, seen)


def record_business_day(writer: UsageWriter, today: date) -> None:
    """Record today's usage of every business-portal pool unit (updated while the day
    lasts): one series per pool, product and license type; suspended units count 0."""
    connection = writer.connection
    result = connection.execute(
        select(
            pools_t.c.company_id,
            pools_t.c.key,
            licenses_t.c.product_code,
            licenses_t.c.product_name,
            licenses_t.c.trial,
            licenses_t.c.state,
            units_t.c.quantity,
            units_t.c.usage,
        )
        .join_from(units_t, pools_t, units_t.c.pool_id == pools_t.c.id)
        .join(licenses_t, licenses_t.c.id == units_t.c.license_id)
        .where(pools_t.c.account_id == writer.account_id, pools_t.c.source == "business")
    )
    totals: dict[SeriesKey, list] = {}
    for unit in result:
        key = (unit.company_id, unit.key, unit.product_code, "trial" if unit.trial else "full")
        entry = totals.setdefault(key, [0, 0, unit.product_name])
        if unit.state != SUSPENDED:
            entry[0] += unit.usage
            entry[1] += unit.quantity
    month = month_start(today)
    writer._load(month)
    for (key, row_month), row in list(writer.rows.items()):  # units gone today: 0 today
        if row.source == "business" and row_month == month and key not in totals:
            totals[key] = [0, 0, row.product_name]
    yesterday = today - timedelta(days=1)
    for key, (used, bought, name) in totals.items():
        writer.set_day(key, today, used, "business", name, False, bought)
        row = writer.rows[(key, month)]
        if month <= yesterday and (row.final_through is None or row.final_through < yesterday):
            row.final_through, row.dirty = yesterday, True


def rebuild_account_days(connection: Connection, account_id: int, months: set[date]) -> None:
    """Recompute the account-wide daily curve for `months` from their month rows."""
    for month in months:
        size = days_in_month(month)
        used: dict[str, list[int]] = {}
        bought: dict[str, list[int | None]] = {}
        rows = connection.execute(
            select(months_t.c.product_code, months_t.c.days, months_t.c.seats).where(
                months_t.c.account_id == account_id, months_t.c.month == month
            )
        )
        for code, days, seats in rows:
            totals = used.setdefault(code, [0] * size)
            seat_totals = bought.setdefault(code, [None] * size)
            for index in range(size):
                if days[index]:
                    totals[index] += days[index]
                if seats[index] is not None:
                    seat_totals[index] = (seat_totals[index] or 0) + seats[index]
        last = month + timedelta(days=size - 1)
        connection.execute(
            delete(account_days_t).where(
                and_(
                    account_days_t.c.account_id == account_id,
                    account_days_t.c.day >= month,
                    account_days_t.c.day <= last,
                )
            )
        )
        values = [
            {
                "account_id": account_id,
                "day": month + timedelta(days=index),
                "product_code": code,
                "used": totals[index],
                "bought": bought[code][index],
            }
            for code, totals in used.items()
            for index in range(size)
        ]
        if values:
            connection.execute(insert(account_days_t), values)
