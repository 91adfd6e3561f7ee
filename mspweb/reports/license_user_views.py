"""License User report page: `/reports/license-users`, with CSV and XLSX of what it shows."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, render_template, request
from markupsafe import Markup

from mspweb.htmx_utils import render, wants_fragment
from mspweb.licenses.export import neutralise
from mspweb.licenses.lookups import visible_company
from mspweb.licenses.stamp import cached_products
from mspweb.licenses.status import STATUSES
from mspweb.reports.cache import cached
from mspweb.reports.license_users import FIGURES, GROUPS, GroupRow, ReportFilters, report
from mspweb.reports.views import bp
from mspweb.reports.xlsx import Column, workbook_response
from mspweb.scope import current_scope
from mspweb.usage.refresh import utc_today

HEADERS = ("Licenses", "Units bought", "Units used", "Overused licenses",
           "Expiring within 30 days", "Expired")  # fmt: skip


def _filters() -> ReportFilters:
    filters = ReportFilters.from_args(request.args)
    visible_company(filters.licenses.company)  # a forged tree node: 404
    if filters.licenses.account is not None:
        current_scope().require_account(filters.licenses.account)
    return filters


@bp.get("/license-users")
def license_users():
    """Licenses grouped by the chosen key, one row per group, with totals."""
    filters = _filters()
    scope = current_scope()
    response = render(
        "reports/license_users.html",
        "reports/_license_users.html",
        filters=filters,
        report_html=_table_html(filters),
        group_labels=GROUPS,
        statuses=STATUSES,
        products=cached_products(scope),
    )
    if wants_fragment():
        from flask import url_for

        args: dict[str, Any] = dict(filters.args())
        response.headers["HX-Push-Url"] = url_for("reports.license_users", **args)
    return response


def cached_report(filters: ReportFilters) -> tuple[list[GroupRow], GroupRow]:
    """The groups and totals in the current user's scope, computed once per data stamp, day,
    scope and filters (the page, its exports and the API's `/reports/license-users`)."""
    scope, today = current_scope(), utc_today()
    key = (tuple(sorted(filters.args().items())), today)
    return cached("license-users", scope, key, lambda: report(filters, scope, today))


def _table_html(filters: ReportFilters) -> Markup:
    """The report's table (`reports/_license_users.html`), rendered once per data stamp, day,
    scope and filters: thousands of groups each with a link cost more to render than to count.
    It holds no form, no token and nothing of the user but the scope, which keys it."""
    scope, today = current_scope(), utc_today()
    key = (tuple(sorted(filters.args().items())), today)

    def compute() -> Markup:
        groups, total = cached_report(filters)
        html = render_template(
            "reports/_license_users.html",
            filters=filters,
            groups=groups,
            total=total,
            group_labels=GROUPS,
        )
        return Markup(html)

    return cached("license-users-html", scope, key, compute)


def _table(filters: ReportFilters):
    groups, total = cached_report(filters)
    return [*groups, total]


@bp.get("/license-users.csv")
def license_users_csv():
    """The report as CSV: exactly the groups shown, then the totals row."""
    filters = _filters()
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow((GROUPS[filters.group], *HEADERS))
    for row in _table(filters):
        writer.writerow([neutralise(row.name), *(getattr(row, name) for name in FIGURES)])
    return Response(
        output.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="license-users.csv"'},
    )


def xlsx_sheet(filters: ReportFilters, rows) -> tuple[str, list[Column], list]:
    """The report as one XLSX sheet (name, columns, rows)."""
    columns = [Column(GROUPS[filters.group], width=48), *(Column(h, "int") for h in HEADERS)]
    return (
        "License User report",
        columns,
        [(row.name, *(getattr(row, name) for name in FIGURES)) for row in rows],
    )


@bp.get("/license-users.xlsx")
def license_users_xlsx():
    """The report as an XLSX workbook."""
    filters = _filters()
    return workbook_response("license-users.xlsx", [xlsx_sheet(filters, _table(filters))])
