"""Helpers for the reports tests: the sandbox's own report, and the console's billing."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from mspweb.portal import MspPortalClient


def today() -> date:
    """The day both the sandbox and the console call today (UTC)."""
    return datetime.now(UTC).date()


def last_month() -> date:
    """The first day of the month before this one."""
    return (today().replace(day=1) - timedelta(days=1)).replace(day=1)


def month_last_day(month: date) -> date:
    """The last day of `month`."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def mid(month: date, day: int = 15) -> str:
    """A day in the middle of `month`, as the sandbox's `effective_from` takes it."""
    return month.replace(day=day).isoformat()


def expected_billing(sandbox, month: date, account: str = "northwind") -> dict:
    """The sandbox's own report for the month, as billing figures per
    (company portal id, product code, license type): (seat-days, average, peak, seats)."""
    demo = sandbox.accounts[account]
    last = min(month_last_day(month), today())
    days = calendar.monthrange(month.year, month.month)[1]
    figures = {}
    with MspPortalClient(sandbox.msp_url, demo.username, demo.password) as client:
        for company in client.usage_report(month, last):
            for product in company.products:
                peak = max((used for _, used in product.usage), default=0)
                if not product.seat_days and not product.seats:
                    continue
                kind = "trial" if product.license_type == 4 else "full"
                average = (Decimal(product.seat_days) / days).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
                figures[(company.company_id, product.code, kind)] = (
                    product.seat_days, average, peak, product.seats,
                )  # fmt: skip
    return figures


def console_billing(account_id: int, month: date) -> dict:
    """The console's billing lines for the month, keyed like :func:`expected_billing`."""
    from mspweb.reports.billing import billing_report
    from mspweb.scope import Scope

    report = billing_report(account_id, month, Scope(role="admin"), today())
    return {
        (row.company_portal_id, row.product_code, row.license_type): (
            row.seat_days,
            row.average,
            row.peak,
            row.seats,
        )  # fmt: skip
        for row in report.rows
    }
