"""The JSON API's reports (issue 13): the billing month against a real sync and backfill of
the sandbox, in the token's scope (R12), strict about its parameters, paged with `next`."""

from __future__ import annotations

from decimal import Decimal

from flask import g
from sqlalchemy import select

from mspweb.api.tokens import create_token
from mspweb.extensions import db
from mspweb.models import Company
from mspweb.scope import Scope
from mspweb.usage.backfill import run_inline as backfill_inline
from tests.api_matrix import TokenClient
from tests.conftest import make_user
from tests.usage_helpers import expected_billing, last_month

PROBLEM = "application/problem+json"


def _lines(body: dict) -> dict:
    return {
        (item["customer_portal_id"], item["product_code"], item["license_type"]): (
            item["seat_days"],
            Decimal(item["average_seats"]),
            item["peak_seats"],
            item["seats_bought"],
        )
        for item in body["items"]
    }


def test_r12_billing_report_api_matches_the_sandbox_and_keeps_to_the_scope(
    app, import_demo, sandbox, admin
):
    account = import_demo("northwind")
    assert backfill_inline(account.id)["status"] == "succeeded"
    month = last_month()
    admin_client = TokenClient(app.test_client(), create_token(admin, "a").secret)
    db.session.commit()
    url = f"/api/v1/reports/billing?month={month:%Y-%m}&per_page=200"
    answer = admin_client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    expected = expected_billing(sandbox, month)
    assert expected and _lines(body) == expected
    assert body["month"] == f"{month:%Y-%m}" and body["account"] == account.id
    assert body["closed"] is False and body["provisional"] is False
    assert {item["license_type"] for item in body["items"]} <= {"full", "trial"}
    # paging: one line a page, with a `next` link that carries the month
    first = admin_client.get(f"/api/v1/reports/billing?month={month:%Y-%m}&per_page=1")
    assert first.get_json()["total"] == len(expected)
    assert (
        f"month={month:%Y-%m}" in first.get_json()["next"] and "page=2" in first.get_json()["next"]
    )
    # a customer token: only its own company's lines
    portal_id = body["items"][0]["customer_portal_id"]
    company = db.session.scalar(
        select(Company).where(Company.account_id == account.id, Company.portal_id == portal_id)
    )
    customer = make_user("own@example.com", "customer-password-1", "customer", company)
    own = TokenClient(app.test_client(), create_token(customer, "c").secret)
    db.session.commit()
    g.pop("mspweb_scope", None)  # the test's app context outlives a request: drop its cache
    mine = own.get(url).get_json()
    scope = Scope.for_user(customer)
    visible = set(
        db.session.scalars(select(Company.portal_id).where(Company.id.in_(scope.company_ids())))
    )  # its company and the companies below it (R12)
    others = {key[0] for key in expected} - visible
    assert mine["items"] and others  # the test can fail: there are lines it must not see
    assert {item["customer_portal_id"] for item in mine["items"]} <= visible
    assert _lines(mine) == {key: value for key, value in expected.items() if key[0] in visible}


def test_billing_report_api_is_strict_about_its_parameters(app, admin):
    client = TokenClient(app.test_client(), create_token(admin, "t").secret)
    db.session.commit()
    for query, parameter in (
        ("month=2026-13", "month"),
        ("month=May", "month"),
        ("account=x", "account"),
        ("per_page=0", "per_page"),
        ("colour=blue", "colour"),
    ):
        response = client.get(f"/api/v1/reports/billing?{query}")
        assert response.status_code == 400 and response.mimetype == PROBLEM, query
        assert parameter in response.get_data(as_text=True), query
    assert client.get("/api/v1/reports/billing?account=999999").status_code == 404
    empty = client.get("/api/v1/reports/billing").get_json()  # no account yet: no lines
    assert empty["items"] == [] and empty["account"] is None and empty["next"] is None


def test_r12_usage_report_api_is_the_pages_series_in_the_tokens_scope(
    app, import_demo, sandbox, admin
):
    from datetime import timedelta

    from mspweb.reports.usage_report import UsageFilters, usage_series
    from mspweb.usage.refresh import utc_today

    account = import_demo("northwind")
    assert backfill_inline(account.id)["status"] == "succeeded"
    admin_client = TokenClient(app.test_client(), create_token(admin, "a").secret)
    db.session.commit()
    body = admin_client.get("/api/v1/reports/usage?range=90d").get_json()
    series = usage_series(account.id, UsageFilters(range="90d"), Scope(role="admin"), utc_today())
    assert [item["day"] for item in body["days"]] == [day.isoformat() for day in series.days]
    assert [item["used"] for item in body["days"]] == series.used and any(series.used)
    assert [item["bought"] for item in body["days"]] == series.bought
    end = utc_today()
    start = end - timedelta(days=9)
    custom = admin_client.get(f"/api/v1/reports/usage?from={start}&to={end}").get_json()
    assert len(custom["days"]) == 10 and custom["days"][0]["day"] == start.isoformat()
    # a customer token: its own company's seats, and another company's portal id is 404
    companies = db.session.scalars(
        select(Company).where(Company.account_id == account.id).order_by(Company.id)
    ).all()
    mine_company = next(c for c in companies if c.entity_type != 1001 and c.parent_id)
    foreign = next(c for c in companies if c.id != mine_company.id and c.parent_id)
    customer = make_user("own@example.com", "customer-password-1", "customer", mine_company)
    own = TokenClient(app.test_client(), create_token(customer, "c").secret)
    db.session.commit()
    g.pop("mspweb_scope", None)  # the test's app context outlives a request: drop its cache
    mine = own.get("/api/v1/reports/usage?range=90d").get_json()
    scoped = usage_series(
        account.id, UsageFilters(range="90d"), Scope.for_user(customer), utc_today()
    )
    assert [item["used"] for item in mine["days"]] == scoped.used
    assert scoped.used != series.used  # the test can fail: the whole account uses more
    g.pop("mspweb_scope", None)
    refused = own.get(f"/api/v1/reports/usage?company={foreign.portal_id}")
    assert refused.status_code == 404 and refused.mimetype == PROBLEM


def test_usage_report_api_is_strict_about_its_parameters(app, admin):
    client = TokenClient(app.test_client(), create_token(admin, "t").secret)
    db.session.commit()
    for query, parameter in (
        ("range=7d", "range"),
        ("from=2026-01-01", "to"),
        ("from=yesterday&to=2026-01-01", "from"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2020-01-01&to=2026-01-01", "from"),
        ("range=30d&from=2026-01-01&to=2026-01-02", "range"),
        ("account=0", "account"),
        ("colour=blue", "colour"),
    ):
        response = client.get(f"/api/v1/reports/usage?{query}")
        assert response.status_code == 400 and response.mimetype == PROBLEM, query
        assert response.get_json()["parameter"] == parameter, (query, response.get_json())
    assert client.get("/api/v1/reports/usage").get_json() == {"account": None, "days": []}
