"""`/api/v1/reports/usage`: seats used and bought per day (the Usage report's series), in the
token's scope (R12); the company is named by its portal id, as everywhere in the API."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from mspweb.api.blueprint import bp
from mspweb.api.paging import ok
from mspweb.api.problems import problem
from mspweb.api.spec import responses, spec
from mspweb.extensions import db
from mspweb.models import Company
from mspweb.params import MAX_INT
from mspweb.reports.common import visible_accounts
from mspweb.reports.usage_report import MAX_DAYS, UsageFilters, usage_series
from mspweb.scope import current_scope
from mspweb.usage.refresh import utc_today


class UsageQuery(BaseModel):
    """A named range (default 30d) or `from`/`to` days; the account, company and product."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    range: Literal["30d", "90d", "13m"] | None = None
    start: date | None = Field(None, alias="from", description="First day (with `to`)")
    end: date | None = Field(None, alias="to", description="Last day (with `from`)")
    account: int | None = Field(None, ge=1, le=MAX_INT)
    company: str | None = Field(None, max_length=64, description="A company's portal id")
    product: str | None = Field(None, max_length=64, description="A product code")


class UsageDayOut(BaseModel):
    """One day: the seats in use and the seats bought (null when unknown)."""

    day: date
    used: int
    bought: int | None


class UsageOut(BaseModel):
    """The series, one entry per day, oldest first."""

    account: int | None
    days: list[UsageDayOut]


def _check_range(query: UsageQuery) -> None:
    """A 400 naming `range`, `from` or `to` when they cannot be shown together."""
    if query.range and (query.start or query.end):
        raise problem(400, "invalid-parameter", "Give a range or from/to, not both.",
                      parameter="range")  # fmt: skip
    if (query.start is None) != (query.end is None):
        name = "to" if query.end is None else "from"
        raise problem(400, "invalid-parameter", "Give both from and to.", parameter=name)
    if query.start and query.end:
        if query.start > query.end:
            raise problem(400, "invalid-parameter", "From must not be after to.",
                          parameter="from")  # fmt: skip
        if (query.end - query.start).days + 1 > MAX_DAYS:
            raise problem(400, "invalid-parameter", f"Show at most {MAX_DAYS} days at a time.",
                          parameter="from")  # fmt: skip


def _filters(query: UsageQuery, account_id: int) -> UsageFilters:
    """The page's filters from the validated query (a company outside the scope: 404)."""
    company_id = None
    if query.company:
        company_id = db.session.scalar(
            select(Company.id).where(
                Company.account_id == account_id,
                Company.portal_id == query.company,
                current_scope().covers(Company.id),
            )
        )
        if company_id is None:
            raise problem(404, "not-found", "There is nothing here.")
    custom = query.start is not None
    return UsageFilters(
        range="custom" if custom else (query.range or "30d"),
        start=query.start,
        end=query.end,
        account=account_id,
        company=company_id,
        product=(query.product or "").strip() or None,
    )


@bp.get("/reports/usage")
@spec.validate(query=UsageQuery, resp=responses(200, UsageOut, 404), tags=["reports"])
def report_usage(query: UsageQuery):
    """Seats used and bought per day over the range, within the token's scope."""
    _check_range(query)
    accounts = visible_accounts(current_scope())
    if query.account is not None:
        accounts = [account for account in accounts if account.id == query.account]
        if not accounts:
            raise problem(404, "not-found", "There is nothing here.")
    if not accounts:
        if query.company:
            raise problem(404, "not-found", "There is nothing here.")
        return ok({"account": None, "days": []})
    account = accounts[0]
    series = usage_series(account.id, _filters(query, account.id), current_scope(), utc_today())
    days = [
        {"day": day.isoformat(), "used": used, "bought": bought}
        for day, used, bought in zip(series.days, series.used, series.bought, strict=True)
    ]
    return ok({"account": account.id, "days": days})
