"""Monthly billing page: `/reports/billing?month=YYYY-MM`, close, reopen, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from mspweb.access import require_admin
from mspweb.htmx_utils import render
from mspweb.pagination import Page
from mspweb.params import query_int
from mspweb.reports.billing import (
    CSV_HEADER,
    BillingError,
    BillingReport,
    billing_report,
    close_month,
    closed_month,
    csv_lines,
    parse_month,
    reopen_month,
)
from mspweb.reports.cache import cached
from mspweb.reports.common import chosen_account
from mspweb.reports.delivery import ScheduleError, recent_deliveries, save_schedule
from mspweb.reports.forms import CloseMonthForm, ReopenMonthForm, ScheduleForm
from mspweb.reports.views import bp
from mspweb.reports.xlsx import Column, workbook_response
from mspweb.scope import current_scope
from mspweb.usage.refresh import utc_today
from mspweb.usage.store import add_months, month_start

#: Customers per page of the billing table (the exports hold every line).
CUSTOMERS_PER_PAGE = 50

XLSX_COLUMNS = (
    Column("Customer", width=36),
    Column("Customer ID", width=38),
    Column("Product code", width=12),
    Column("Product", width=40),
    Column("License type", width=12),
    Column("Seat-days", "int"),
    Column("Average seats", "decimal"),
    Column("Peak seats", "int"),
    Column("Seats bought", "int"),
)


def _month_arg() -> date:
    try:
        return parse_month(request.args.get("month") or request.form.get("month"), utc_today())
    except BillingError as error:
        abort(400, description=str(error))


def _report() -> tuple[BillingReport | None, list, date]:
    month = _month_arg()
    account, accounts = chosen_account(
        current_scope(), request.args.get("account") or request.form.get("account")
    )
    if account is None:
        return None, accounts, month
    return _cached_report(account.id, month), accounts, month


def _key(account_id: int, month: date, close) -> tuple:
    """What a month's lines depend on besides the data stamp: the close (if any) they were
    frozen by (its time too, as SQLite may give a reopened and re-closed month the same id)."""
    return (account_id, month, close.id if close else None, close.closed_at if close else None)


def _cached_report(account_id: int, month: date) -> BillingReport:
    """The month's billing, its lines and totals computed once per data stamp, scope and
    close."""
    scope, today = current_scope(), utc_today()
    close = closed_month(account_id, month)

    def compute() -> tuple[list, tuple]:
        report = billing_report(account_id, month, scope, today)
        return report.rows, report.totals()

    rows, totals = cached("billing", scope, _key(account_id, month, close), compute)
    provisional = close is None and month >= month_start(today)
    return BillingReport(account_id, month, rows, close, provisional, known_totals=totals)


def _customers(report: BillingReport) -> list:
    """The lines per customer with their totals (see `BillingReport.customers`), cached
    with the lines."""
    key = _key(report.account_id, report.month, report.closed)
    return cached("billing-customers", current_scope(), key, report.customers)


@bp.get("/billing")
def billing():
    """The month's billing: per customer x product x license type, with totals."""
    report, accounts, month = _report()
    return _page(report, accounts, month)


def _page(report, accounts, month, reopen_form=None, status=200):
    args = {"month": f"{month:%Y-%m}"}
    if report is not None:
        args["account"] = str(report.account_id)
    customers = _customers(report) if report is not None else []
    number = max(1, query_int(request.args.get("page")) or 1)
    customer_page = Page(
        customers[(number - 1) * CUSTOMERS_PER_PAGE : number * CUSTOMERS_PER_PAGE],
        number,
        CUSTOMERS_PER_PAGE,
        len(customers),
    )
    return render(
        "reports/billing.html",
        "reports/_billing.html",
        status=status,
        report=report,
        customer_page=customer_page,
        accounts=accounts,
        month=month,
        args=args,
        previous=f"{add_months(month, -1):%Y-%m}",
        following=f"{add_months(month, 1):%Y-%m}",
        close_form=CloseMonthForm(formdata=None),
        schedule=_schedule(report),
        reopen_form=reopen_form or ReopenMonthForm(formdata=None),
        today=utc_today(),
    )


def _schedule(report: BillingReport | None) -> dict | None:
    """The mailing list and recent deliveries, for administrators."""
    if report is None or not current_user.is_admin:
        return None
    from mspweb.extensions import db
    from mspweb.models.usage import ReportSchedule

    schedule = db.session.get(ReportSchedule, report.account_id)
    form = ScheduleForm(formdata=None, recipients=schedule.recipients if schedule else "")
    return {"form": form, "deliveries": recent_deliveries(report.account_id)}


@bp.post("/billing/close")
def billing_close():
    """Close the month (administrators): its figures are frozen from now on."""
    require_admin()
    form = CloseMonthForm()
    report, accounts, month = _report()
    if not form.validate() or report is None:
        abort(400, description="The month or account is missing.")
    try:
        close_month(report.account_id, month, current_user, utc_today())
        flash(f"{month:%B %Y} is closed: its figures are frozen.", "success")
    except BillingError as error:
        flash(str(error), "error")
    return redirect(url_for("reports.billing", account=report.account_id, month=f"{month:%Y-%m}"))


@bp.post("/billing/reopen")
def billing_reopen():
    """Reopen a closed month (administrators), with a reason; audited."""
    require_admin()
    form = ReopenMonthForm()
    report, accounts, month = _report()
    if report is None:
        abort(404)
    if not form.validate():
        return _page(report, accounts, month, reopen_form=form, status=422)
    try:
        reopen_month(report.account_id, month, current_user, form.reason.data)
        flash(f"{month:%B %Y} is reopened.", "success")
    except BillingError as error:
        flash(str(error), "error")
    return redirect(url_for("reports.billing", account=report.account_id, month=f"{month:%Y-%m}"))


@bp.post("/delivery")
def delivery_schedule():
    """Set the account's monthly mailing list (administrators); audited."""
    require_admin()
    form = ScheduleForm()
    account, _ = chosen_account(current_scope(), request.form.get("account"))
    if account is None:
        abort(404)
    try:
        addresses = save_schedule(account.id, form.recipients.data or "", current_user)
        flash(
            f"The reports will be mailed on the 1st of each month to {', '.join(addresses)}."
            if addresses
            else "The monthly report mail is off.",
            "success",
        )
    except ScheduleError as error:
        flash(str(error), "error")
    return redirect(url_for("reports.billing", account=account.id))


@bp.get("/billing.csv")
def billing_csv():
    """The month's billing as CSV: exactly the page's lines (no totals)."""
    report, _, month = _report()
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    if report is not None:
        writer.writerows(csv_lines(report))
    return Response(
        output.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="billing-{month:%Y-%m}.csv"'},
    )


def billing_rows_for_xlsx(report: BillingReport | None):
    """The billing lines as typed XLSX cells."""
    for row in report.rows if report is not None else []:
        yield (
            row.company_name, row.company_portal_id, row.product_code, row.product_name,
            row.license_type, row.seat_days, row.average, row.peak, row.seats,
        )  # fmt: skip


@bp.get("/billing.xlsx")
def billing_xlsx():
    """The month's billing as an XLSX workbook."""
    report, _, month = _report()
    return workbook_response(
        f"billing-{month:%Y-%m}.xlsx",
        [(f"Billing {month:%Y-%m}", XLSX_COLUMNS, billing_rows_for_xlsx(report))],
    )
