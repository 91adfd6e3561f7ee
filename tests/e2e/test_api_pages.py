"""In a real browser: the API tokens page creates a token and shows it once, and the API
reference (vendored swagger-ui) renders the OpenAPI document under the console's CSP, with a
request tried through it using that token. Screenshots for the README."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot, sign_in


def test_api_tokens_page_and_reference_work_under_the_csp(browser, live_server, admin):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    # creating a token needs a fresh second factor (issue 15): turn TOTP on first
    page.goto("/account/two-factor")
    key = page.locator("p", has_text="Key:").locator("code").inner_text()
    page.get_by_label("Code from your app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("code").first).to_have_text(re.compile(r"[a-z2-9]{4}-"))
    page.goto("/")
    page.get_by_role("link", name="API tokens").first.click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    page.get_by_label("Name").fill("PSA integration")
    page.get_by_label("Expires after (days, empty: never)").fill("90")
    page.get_by_label("Read-write (can start syncs and edit tags)").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Your new token").input_value()
    assert re.fullmatch(r"mspw_[\w-]+", secret)
    expect(page.get_by_role("cell", name="PSA integration")).to_be_visible()
    screenshot(page, "api-tokens")

    page.get_by_role("link", name="JSON API").click()
    expect(page.get_by_role("heading", name="API reference", level=1)).to_be_visible()
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible(timeout=15000)
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert any("/api/v1/licenses" in path for path in paths), paths
    page.locator(".swagger-ui .btn.authorize").click()
    page.locator(".swagger-ui .modal-ux input[type=text]").fill(secret)
    page.locator(".swagger-ui .modal-ux .btn.authorize").click()
    page.locator(".swagger-ui .modal-ux .btn-done").click()
    operation = page.locator("#operations-licenses-get__api_v1_licenses")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(
        operation.locator(".live-responses-table tbody .response-col_status").first
    ).to_have_text(re.compile("200"), timeout=15000)
    screenshot(page, "api-reference")
    page.goto("/webhooks")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    screenshot(page, "webhooks")
    page.goto("/alerts")
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    screenshot(page, "alerts")
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    context.close()
