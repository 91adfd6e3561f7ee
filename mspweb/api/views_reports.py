"""`/api/v1/reports/billing`: the month's billing lines (issue 13's reports), in the token's
scope (R12: a customer token sees only its own company's lines), paged with a `next` link.

The figures come from the same query as the Monthly billing page (mspweb/reports/billing.py).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from mspweb.api.blueprint import bp
from mspweb.api.paging import ok, page_info
from mspweb.api.problems import problem
from mspweb.api.schemas import PageInfo, PageQuery
from mspweb.api.spec import responses, spec
from mspweb.pagination import Page
from mspweb.params import MAX_INT
from mspweb.reports.billing import BillingError, billing_report, parse_month
from mspweb.reports.common import visible_accounts
from mspweb.scope import current_scope
from mspweb.usage.refresh import utc_today

#: ``YYYY-MM`` from 2000 to 2999 (a month the usage history can hold).
MONTH_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"


class BillingQuery(PageQuery):
    """The billing month (default: the current one) and the account (default: the first
    visible one)."""

    month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYY-MM")
    account: int | None = Field(None, ge=1, le=MAX_INT)


class BillingLineOut(BaseModel):
    """One line: a customer x product x license type over the month."""

    customer: str
    customer_portal_id: str
    product_code: str
    product_name: str
    license_type: str = Field(description="full or trial")
    seat_days: int
    average_seats: str = Field(description="Seat-days / days in the month, two decimals")
    peak_seats: int
    seats_bought: int


class BillingOut(PageInfo):
    """A page of the month's billing lines and the month's state."""

    account: int | None
    month: str
    closed: bool
    closed_at: str | None
    provisional: bool = Field(description="The month is not over yet (its figures can change)")
    items: list[BillingLineOut]


@bp.get("/reports/billing")
@spec.validate(query=BillingQuery, resp=responses(200, BillingOut, 404), tags=["reports"])
def report_billing(query: BillingQuery):
    """The month's billing lines, ordered by customer, product and license type."""
    try:
        month: date = parse_month(query.month, utc_today())
    except BillingError as error:
        raise problem(400, "invalid-parameter", str(error), parameter="month") from None
    scope = current_scope()
    accounts = visible_accounts(scope)
    if query.account is not None:
        accounts = [account for account in accounts if account.id == query.account]
        if not accounts:
            raise problem(404, "not-found", "There is nothing here.")
    rows, closed, provisional, account_id = [], None, False, None
    if accounts:
        report = billing_report(accounts[0].id, month, scope, utc_today())
        rows, closed, provisional = report.rows, report.closed, report.provisional
        account_id = report.account_id
    start = (query.page - 1) * query.per_page
    page = Page(rows[start : start + query.per_page], query.page, query.per_page, len(rows))
    items = [
        {
            "customer": row.company_name,
            "customer_portal_id": row.company_portal_id,
            "product_code": row.product_code,
            "product_name": row.product_name,
            "license_type": row.license_type,
            "seat_days": row.seat_days,
            "average_seats": str(row.average),
            "peak_seats": row.peak,
            "seats_bought": row.seats,
        }
        for row in page.items
    ]
    return ok(
        {
            "account": account_id,
            "month": f"{month:%Y-%m}",
            "closed": closed is not None,
            "closed_at": closed.closed_at.isoformat() if closed is not None else None,
            "provisional": provisional,
            "items": items,
            **page_info(page, query.model_dump(exclude_defaults=True)),
        }
    )
