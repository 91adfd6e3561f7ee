"""Usage page: `/reports/usage` (chart and table) and its chart data as JSON."""

from __future__ import annotations

from flask import abort, jsonify, request, url_for

from mspweb.htmx_utils import render, wants_fragment
from mspweb.licenses.lookups import visible_company
from mspweb.reports.cache import cached
from mspweb.reports.common import chosen_account
from mspweb.reports.usage_report import (
    RANGES,
    UsageFilters,
    UsageRangeError,
    UsageSeries,
    usage_choices,
    usage_series,
)
from mspweb.reports.views import bp
from mspweb.scope import current_scope
from mspweb.usage.refresh import utc_today


def _filters():
    try:
        filters = UsageFilters.from_args(request.args)
    except UsageRangeError as error:
        abort(400, description=str(error))
    company = visible_company(filters.company)  # forged: 404
    account, accounts = chosen_account(current_scope(), request.args.get("account"))
    if company is not None and account is not None and company.account_id != account.id:
        abort(404)
    return filters, account, accounts


@bp.get("/usage")
def usage():
    """Seats used and bought per day: the chart (from the JSON endpoint) and the table."""
    filters, account, accounts = _filters()
    scope = current_scope()
    series = _series(account.id, filters) if account else None
    companies, codes = (
        cached("usage-choices", scope, (account.id,), lambda: usage_choices(account.id, scope))
        if account
        else ([], [])
    )
    args = dict(filters.args(), **({"account": account.id} if account else {}))
    response = render(
        "reports/usage.html",
        "reports/_usage.html",
        filters=filters,
        series=series,
        accounts=accounts,
        current_account_id=account.id if account else None,
        companies=companies,
        codes=codes,
        ranges=RANGES,
        data_url=url_for("reports.usage_data", **args),
        args=args,
    )
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_for("reports.usage", **args)
    return response


@bp.get("/usage/data")
def usage_data():
    """The chart's data: ``{"days": [...], "used": [...], "bought": [...]}``."""
    filters, account, _ = _filters()
    if account is None:
        return jsonify({"days": [], "used": [], "bought": []})
    return jsonify(_series(account.id, filters).as_json())


def _series(account_id: int, filters: UsageFilters) -> UsageSeries:
    """The curve, computed once per data stamp, day, scope and filters."""
    scope, today = current_scope(), utc_today()
    key = (account_id, tuple(sorted(filters.args().items())), today)
    return cached(
        "usage-series", scope, key, lambda: usage_series(account_id, filters, scope, today)
    )
