"""In a real browser: the report pages render (the chart under the CSP, no console errors),
their filters push the URL, and their exports download. Screenshots for the README."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mspweb.usage.backfill import run_inline as backfill_inline
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.usage_helpers import last_month


def _errors(page) -> list[str]:
    """Console errors (a CSP violation is one), page errors and failed requests, as they come.
    A failed request is listed by its URL (the console only says "Failed to load resource");
    the browser's own favicon probe is not ours."""
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", on_response)
    return errors


def _ready(import_demo, admin, page) -> list[str]:
    account = import_demo("northwind", business=True)
    assert backfill_inline(account.id)["status"] == "succeeded"
    errors = _errors(page)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    return errors


def test_usage_chart_renders_and_filters_push_the_url(import_demo, admin, page):
    errors = _ready(import_demo, admin, page)
    page.goto("/reports/usage?range=13m")
    chart = page.locator("#usage-chart[data-ready=true]")
    expect(chart).to_be_visible()
    expect(chart.locator("canvas")).to_have_count(1)
    screenshot(page, "reports-usage")
    page.select_option("#usage-product", index=1)
    page.wait_for_url("**/reports/usage?*product=*")
    expect(page.locator("#usage-chart[data-ready=true] canvas")).to_have_count(1)
    page.select_option("#usage-range", "30d")
    page.wait_for_url(lambda url: "range=13m" not in url and "product=" in url)
    expect(page.locator("#usage-table tbody tr")).to_have_count(30)
    assert errors == []


def test_license_user_report_groups_and_downloads(import_demo, admin, page):
    errors = _ready(import_demo, admin, page)
    page.goto("/reports/license-users")
    expect(page.locator("#license-user-table tfoot")).to_contain_text("Total")
    page.select_option("#report-group", "customer")
    page.wait_for_url("**/reports/license-users?group=customer")
    expect(page.locator("#license-user-table thead")).to_contain_text("Customer")
    screenshot(page, "reports-license-users")
    with page.expect_download() as download:
        page.locator("#report-xlsx").click()
    assert download.value.suggested_filename == "license-users.xlsx"
    with page.expect_download() as download:
        page.locator("#report-csv").click()
    assert download.value.suggested_filename == "license-users.csv"
    first = page.locator("#license-user-table tbody th a").first
    name, licenses = first.inner_text(), first.locator("xpath=../../td[1]").inner_text()
    first.click()  # a group opens License Management on exactly that group's licenses
    page.wait_for_url("**/licenses?*customer=*")
    expect(page.locator(".active-filters")).to_contain_text(f"Customer: {name}")
    expect(page.locator("#license-table")).to_have_attribute(
        "data-announce", re.compile(rf"^{licenses} licenses? in pools")
    )
    assert errors == []


def test_billing_page_closes_a_month_and_downloads(import_demo, admin, page):
    errors = _ready(import_demo, admin, page)
    month = f"{last_month():%Y-%m}"
    page.goto(f"/reports/billing?month={month}")
    expect(page.locator("#billing-table tfoot")).to_contain_text("Total")
    page.locator("#close-month").click()
    expect(page.locator(".report-state")).to_contain_text("Closed by")
    screenshot(page, "reports-billing")
    with page.expect_download() as download:
        page.locator("#billing-csv").click()
    assert download.value.suggested_filename == f"billing-{month}.csv"
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url(lambda url: f"month={month}" not in url and "month=" in url)
    assert errors == []
