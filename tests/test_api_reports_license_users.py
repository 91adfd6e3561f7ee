"""The JSON API's License User report (issue 13): the page's groups and figures for the same
filters, named in the API's ids (a company by its portal id), in the token's scope (R12),
strict about its parameters, paged with `next`."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from flask import g
from sqlalchemy import select

from mspweb.api.tokens import create_token
from mspweb.extensions import db
from mspweb.licenses.export import neutralise
from mspweb.models import Company, License, LicensePool, LicenseTag, Tag
from mspweb.reports.license_users import FIGURES, GROUPS, NO_TAG
from mspweb.scope import Scope
from tests.api_matrix import TokenClient
from tests.conftest import login, make_user

PROBLEM = "application/problem+json"
URL = "/api/v1/reports/license-users"


def _api_table(client: TokenClient, query: str) -> tuple[list[list[str]], dict]:
    """The report through the API, all groups (one page), as the CSV's rows would be."""
    answer = client.get(f"{URL}?per_page=200&{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["next"] is None and body["total"] == len(body["items"])
    rows = [[neutralise(item["name"]), *(str(item[f]) for f in FIGURES)] for item in body["items"]]
    rows.append(["Total", *(str(body["totals"][f]) for f in FIGURES)])
    return rows, body


def _csv_table(browser, query: str) -> list[list[str]]:
    """The page's CSV export for `query` (the groups, then the totals), without its header."""
    response = browser.get(f"/reports/license-users.csv?{query}")
    assert response.status_code == 200, query
    return list(csv.reader(io.StringIO(response.text)))[1:]


def _company_with_licenses(account_id: int) -> Company:
    """A company of `account_id` that holds licenses in its own pool, below another company."""
    return db.session.scalars(
        select(Company)
        .join(LicensePool, LicensePool.company_id == Company.id)
        .where(Company.account_id == account_id, Company.parent_id.is_not(None))
        .order_by(Company.id)
    ).first()


@pytest.fixture()
def clients(app, import_demo, admin, admin_client):
    """Northwind imported (MSP and business portal): the administrator's token and browser."""
    account = import_demo("northwind", business=True)
    token = TokenClient(app.test_client(), create_token(admin, "a").secret)
    db.session.commit()
    return account, token, admin_client


@pytest.mark.parametrize("group", list(GROUPS))
def test_license_users_api_each_group_has_the_pages_figures_and_order(clients, group):
    account, api, browser = clients
    for query in (f"group={group}", f"group={group}&sort=units&dir=desc"):
        rows, body = _api_table(api, query)
        assert rows == _csv_table(browser, query), query
        assert body["group"] == group and len(rows) > 2, query  # several groups, and the totals
    total_licenses = db.session.scalar(
        select(db.func.count()).select_from(License).where(License.account_id == account.id)
    )
    assert body["totals"]["licenses"] == total_licenses
    items = body["items"]
    if group == "customer":  # named by portal id, never by the console's row id
        companies = dict(
            db.session.execute(
                select(Company.portal_id, Company.account_id).where(
                    Company.account_id == account.id
                )
            ).all()
        )
        assert all(item["key"] == item["company_portal_id"] in companies for item in items)
        assert {item["account_id"] for item in items} == {account.id}
    elif group == "pool":
        pools = dict(
            db.session.execute(
                select(LicensePool.key, Company.portal_id).join(
                    Company, Company.id == LicensePool.company_id
                )
            ).all()
        )
        assert all(pools[item["key"]] == item["company_portal_id"] for item in items)
        assert any(item["key"].startswith("business:") for item in items)  # both portals
    elif group == "product":
        codes = set(db.session.scalars(select(License.product_code)))
        assert {item["key"] for item in items} == codes
    elif group == "tag":
        tags = set(db.session.scalars(select(Tag.name)))
        assert {item["key"] for item in items if item["key"] is not None} <= tags
        untagged = [item for item in items if item["key"] is None]
        assert [item["name"] for item in untagged] in ([], [NO_TAG])
    else:
        assert all(item["key"] == item["name"] for item in items)
        assert all(item["company_portal_id"] is None for item in items)


def test_license_users_api_filters_name_things_by_their_public_ids(clients):
    account, api, browser = clients
    company = _company_with_licenses(account.id)
    license = db.session.scalars(
        select(License).where(License.company_id == company.id).order_by(License.id)
    ).first()
    tag = db.session.scalar(
        select(Tag.name)
        .join(LicenseTag, LicenseTag.tag_id == Tag.id)
        .where(LicenseTag.license_id == license.id)
        .order_by(Tag.name)
    )
    assert tag is not None
    for api_args, page_args in (
        ({"company": company.portal_id}, {"company": company.id}),
        ({"company": company.portal_id, "account": account.id}, {"company": company.id}),
        ({"group": "customer", "product": license.product_code}, None),
        ({"group": "product", "tag": tag}, None),
        ({"group": "customer", "status": "expired"}, None),
        ({"group": "pool", "account": account.id}, None),
        ({"group": "product", "q": "Inc"}, None),
    ):
        rows, _ = _api_table(api, urlencode(api_args))
        assert rows == _csv_table(browser, urlencode(page_args or api_args)), api_args
        assert len(rows) > 1, api_args  # something matched: the comparison can fail
    everything, _ = _api_table(api, "")
    narrowed, body = _api_table(api, f"company={company.portal_id}&group=customer")
    assert narrowed[-1] != everything[-1]  # the filter narrowed the totals
    assert {item["company_portal_id"] for item in body["items"]} >= {company.portal_id}
    # the portal id is looked up in the account given; elsewhere it names nothing
    missing = api.get(f"{URL}?company={company.portal_id}&account=999999")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    assert api.get(f"{URL}?company={company.id}-nothing").status_code == 404


def test_license_users_api_pages_with_a_next_link_that_keeps_the_parameters(clients):
    _, api, _ = clients
    _, whole = _api_table(api, "group=pool&sort=used&dir=desc")
    items, url = [], f"{URL}?group=pool&sort=used&dir=desc&per_page=3"
    while url:
        body = api.get(url).get_json()
        assert body["totals"] == whole["totals"] and body["total"] == whole["total"]
        items += body["items"]
        url = body["next"]
        if url:
            assert "group=pool" in url and "sort=used" in url and "dir=desc" in url
    assert items == whole["items"] and len(items) > 3
    beyond = api.get(f"{URL}?group=pool&page=100").get_json()
    assert beyond["items"] == [] and beyond["next"] is None


def test_r12_license_users_api_a_customer_token_sees_only_its_own_groups(app, clients):
    account, api, _ = clients
    company = _company_with_licenses(account.id)
    customer = make_user("own@example.com", "customer-password-1", "customer", company)
    own = TokenClient(app.test_client(), create_token(customer, "c").secret)
    db.session.commit()
    browser = app.test_client()
    assert login(browser, "own@example.com", "customer-password-1").status_code == 302
    scope = Scope.for_user(customer)
    visible = set(
        db.session.scalars(select(Company.portal_id).where(Company.id.in_(scope.company_ids())))
    )  # its company and the companies below it (R12)
    _, everything = _api_table(api, "group=customer")
    others = {item["company_portal_id"] for item in everything["items"]} - visible
    assert others  # the test can fail: there are groups it must not see
    g.pop("mspweb_scope", None)  # the test's app context outlives a request: drop its cache
    for group in GROUPS:
        rows, body = _api_table(own, f"group={group}")
        assert rows == _csv_table(browser, f"group={group}"), group  # the customer's page
        assert body["totals"]["licenses"] < everything["totals"]["licenses"], group
        assert all(item["company_portal_id"] in (None, *visible) for item in body["items"])
    _, mine = _api_table(own, "group=customer")
    assert company.portal_id in {item["company_portal_id"] for item in mine["items"]}
    foreign = sorted(others)[0]
    for query in (
        f"company={foreign}",
        f"company={foreign}&account={account.id}",
        "account=999999",
    ):
        refused = own.get(f"{URL}?{query}")
        assert refused.status_code == 404 and refused.mimetype == PROBLEM, query
        assert foreign not in refused.get_data(as_text=True)


def test_license_users_api_is_strict_about_its_parameters(app, admin):
    client = TokenClient(app.test_client(), create_token(admin, "t").secret)
    db.session.commit()
    for query, parameter in (
        ("group=owner", "group"),
        ("sort=seats", "sort"),
        ("sort=key", "sort"),  # License Management's sorts are not the report's
        ("dir=up", "dir"),
        ("status=fine", "status"),
        ("account=x", "account"),
        ("account=0", "account"),
        ("company=" + "x" * 65, "company"),
        ("tag=" + "t" * 101, "tag"),
        ("page=0", "page"),
        ("per_page=201", "per_page"),
        ("per_page=ten", "per_page"),
        ("colour=blue", "colour"),
    ):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 400 and response.mimetype == PROBLEM, query
        assert response.get_json()["parameter"] == parameter, (query, response.get_json())
    empty = client.get(URL).get_json()  # nothing imported yet: no groups, zero totals
    assert empty["items"] == [] and empty["next"] is None and empty["total"] == 0
    assert empty["totals"] == dict.fromkeys(FIGURES, 0)
