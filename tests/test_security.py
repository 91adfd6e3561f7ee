"""Security across every route: CSRF on state changes, hostile input never a 500, escaping.

The routes come from the URL map (tests/url_map.py), so a route added later is covered
without editing these tests.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Company, License, SyncRun, Tag, User
from tests.url_map import STATE_CHANGING, routes

HOSTILE_VALUES = {
    "empty": "",
    "huge": "x" * (1024 * 1024),
    "unicode": "Ωmega 東京 🚀 \u202e\u200b",
    "control": "a\x00b\x01c\x1b[31m\r\n",
    "html": "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>",
    "sql": "' OR 1=1; DROP TABLE license; --",
    "number_like": "-99999999999999999999",
}
FIELD_NAMES = (
    "q",
    "page",
    "sort",
    "dir",
    "order",
    "status",
    "tag",
    "tags",
    "product",
    "node",
    "company",
    "account",
    "action",
    "outcome",
    "per_page",
    "name",
    "new_name",
    "email",
    "password",
    "role",
    "company_id",
    "portal_url",
    "business_url",
    "username",
    "license",
    "licenses",
    "active",
    "operation",
    "version",
    "pool_id",
    "confirm",
)


@pytest.fixture()
def world(import_demo, admin):
    """A synchronized demo account, and real ids for every kind of URL argument."""
    account = import_demo("northwind", business=True)
    license_ = db.session.scalars(select(License).order_by(License.id)).first()
    tag = db.session.scalars(select(Tag).order_by(Tag.id)).first()
    company = db.session.scalars(select(Company).order_by(Company.id)).first()
    run = db.session.scalars(select(SyncRun).order_by(SyncRun.id)).first()
    return {
        "account_id": account.id,
        "company_id": company.id,
        "license_id": license_.id,
        "tag_id": tag.id,
        "run_id": run.id if run else 1,
        "user_id": admin.id,
    }


#: The change log's CSV exports (issue 11): CSV, not HTML, like the license export; their cells
#: are neutralised for spreadsheets (tests/test_change_pages.py).
CSV_EXPORTS = {"changes.run_changes_csv", "changes.account_changes_csv"}


def _send(client, failures: list, route, label: str, **request):
    """Send one hostile request; an exception (a 500 in production) is noted, not raised, so
    that one run lists every route that fails."""
    try:
        response = client.open(route.url, **request)
        response.get_data()  # a streamed body runs (and can fail) here
        response.close()
        return response
    except Exception as error:  # the test app propagates exceptions: each one is a 500
        from mspweb.extensions import db

        db.session.rollback()
        failures.append((route.endpoint, label, f"{type(error).__name__}: {error}"[:200]))
        return None


def test_every_state_changing_route_refuses_a_request_without_csrf_token(app, admin_client, world):
    checked = []
    for route in routes(app, world):
        if route.method not in STATE_CHANGING:
            continue
        response = admin_client.open(route.url, method=route.method, data={}, csrf=False)
        if route.endpoint.startswith("api."):  # token-only, no cookie auth: nothing to forge
            assert response.status_code == 401, (route, response.status_code)
            continue
        assert response.status_code == 400, (route, response.status_code)
        assert "security token" in response.text, route
        checked.append(route.endpoint)
    assert "accounts.sync" in checked and "licenses.add_tag" in checked and "auth.logout" in checked


def test_every_route_answers_hostile_query_parameters_without_a_500(app, admin_client, world):
    failures = []
    for route in routes(app, world):
        if route.method != "GET" or route.endpoint == "auth.login":
            continue
        for label, value in HOSTILE_VALUES.items():
            query = {name: value for name in FIELD_NAMES}
            response = _send(admin_client, failures, route, label, query_string=query)
            if response is None:
                continue
            if response.status_code >= 500:
                failures.append((route.endpoint, label, response.status_code))
    assert failures == [], "\n".join(map(str, failures))


def test_every_form_answers_hostile_values_without_a_500_or_a_half_write(app, admin_client, world):
    failures = []
    for route in routes(app, world):
        if route.method not in STATE_CHANGING or route.endpoint in {"auth.logout"}:
            continue
        for label, value in HOSTILE_VALUES.items():
            form = {name: value for name in FIELD_NAMES}
            response = _send(admin_client, failures, route, label, method=route.method, data=form)
            if response is None:
                continue
            if response.status_code >= 500:
                failures.append((route.endpoint, label, response.status_code))
            elif response.status_code >= 400 and not response.text.strip():
                failures.append((route.endpoint, label, "empty error body"))
    assert failures == [], "\n".join(map(str, failures))
    # the administrator is still there and can still sign in: nothing was half-written
    assert db.session.scalar(select(User).where(User.email == "admin@msp.example"))


#: Routes that answer no HTML: the exports (CSV, XLSX: their cells are neutralised instead,
#: tested with each export) and the health check.
NOT_HTML = {
    "licenses.export",
    "main.healthz",
    "reports.billing_csv",  # issue 10
    "reports.billing_xlsx",
    "reports.license_users_csv",
    "reports.license_users_xlsx",
    "reports.usage_data",  # JSON numbers and days
    *CSV_EXPORTS,
}


def test_portal_strings_are_escaped_in_every_page(app, admin_client, world):
    for route in routes(app, world):
        if route.method != "GET" or route.endpoint in NOT_HTML:
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = admin_client.get(route.url, headers=headers)
            assert "<script>alert(1)</script>" not in response.text, route.endpoint


def test_csv_cells_that_could_run_as_formulas_are_neutralised(app, admin_client, world):
    export = admin_client.get("/licenses/export.csv")
    assert export.status_code == 200
    import csv
    import io

    rows = list(csv.reader(io.StringIO(export.text)))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any("HYPERLINK" in cell for row in rows for cell in row)  # the hostile name is there


HOSTILE_NAME = "<script>alert(1)</script> Ltd"
ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt; Ltd"


def test_hostile_portal_names_reach_every_page_and_fragment_escaped(app, admin_client, world):
    """The sandbox names a customer `<script>alert(1)</script> Ltd` (and tags its licenses so,
    R06): walking every GET route with that company's and license's ids, as pages and as htmx
    fragments, it never comes back raw, and it does come back escaped (so the walk saw it)."""
    company = db.session.scalar(select(Company).where(Company.name == HOSTILE_NAME))
    assert company is not None, "the sandbox world lost its hostile name"
    license_ = db.session.scalars(select(License).where(License.company_id == company.id)).first()
    tag = db.session.scalar(select(Tag).where(Tag.name == HOSTILE_NAME))
    ids = dict(world, company_id=company.id, license_id=license_.id, tag_id=tag.id)
    escaped_in = set()
    for route in routes(app, ids):
        if route.method != "GET" or route.endpoint in NOT_HTML:
            continue
        for headers in ({}, {"HX-Request": "true"}):
            for query in ({}, {"company": company.id}, {"q": "script"}, {"tag": HOSTILE_NAME}):
                text = admin_client.get(route.url, headers=headers, query_string=query).text
                assert HOSTILE_NAME not in text, (route.endpoint, headers, query)
                if ESCAPED_NAME in text:
                    escaped_in.add(route.endpoint)
    assert {
        "licenses.index",
        "licenses.tree",
        "computers.index",
        "customers.index",
        "tags.index",
    } <= escaped_in, escaped_in


def test_hsts_is_sent_over_https_only(admin_client):
    """Strict-Transport-Security on every HTTPS response, never over plain HTTP (where it
    would be ignored and could lock a misconfigured site out)."""
    secure = admin_client.get("/licenses", base_url="https://localhost")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in admin_client.get("/licenses").headers
    login_page = admin_client.get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" in login_page.headers


def test_behind_a_proxy_forwarded_https_turns_on_hsts_only_when_trusted(app_settings):
    """Production sits behind a TLS-terminating proxy: with TRUST_PROXY_HEADERS the proxy's
    X-Forwarded-Proto/-For are believed (HSTS, the client's address for throttling and the
    audit log); without it (the default) a client cannot forge them."""
    from config import TestConfig
    from mspweb import create_app

    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusting = create_app(TestConfig, **app_settings)
    response = untrusting.test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in response.headers
    trusting = create_app(TestConfig, TRUST_PROXY_HEADERS=True, **app_settings)

    @trusting.get("/_test/remote-addr")
    def remote_addr():
        from flask import request

        return request.remote_addr or ""

    response = trusting.test_client().get("/login", headers=forwarded)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert trusting.test_client().get("/_test/remote-addr", headers=forwarded).text == "203.0.113.9"


def test_security_headers_on_pages_fragments_errors_and_exports(admin_client):
    """CSP without inline scripts, nosniff, a referrer policy and frame denial everywhere."""
    for url, headers in (
        ("/licenses", {}),
        ("/licenses", {"HX-Request": "true"}),
        ("/no-such-page", {}),
        ("/licenses/export.csv", {}),
        ("/login", {}),
    ):
        response = admin_client.get(url, headers=headers)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_nul_characters_are_refused_with_a_message_not_a_500(admin_client):
    """PostgreSQL cannot store or compare NUL: such a value is a clear 400, on any route."""
    for method, url in (
        ("GET", "/licenses?q=a%00b"),
        ("GET", "/audit?q=%00"),
        ("POST", "/licenses/tags"),
    ):
        response = admin_client.open(url, method=method, data={"name": "a\x00b"})
        assert response.status_code == 400, url
        assert "NUL character" in response.text, url


def test_ids_beyond_the_database_integer_range_are_ignored_not_a_500(admin_client, world):
    for query in (
        "company=99999999999999999999",
        "account=-99999999999999999999",
        "page=99999999999999999999&per_page=99999999999999999999",
    ):
        response = admin_client.get(f"/licenses?{query}")
        assert response.status_code == 200, query
