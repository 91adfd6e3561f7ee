"""In a real browser: a sync run's Changes section, an account's Changes, and the Tag drift
view with its fix and undo (issue 11); the screenshots go to the README."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.plugins.sync import sync_now


def _changed(import_demo, sandbox):
    """Northwind imported, then renames, a status change, usage and seat changes, a new
    customer with a license, and a removed license; returns (account, the run's id)."""
    account = import_demo()
    control = sandbox.control
    root = control.root("northwind")
    control.rename_company(control.company("Cedar Water KG")["id"], "Cedar Water Group")
    control.rename_company(control.company("First Water AG")["id"], "First Water Holding AG")
    control.update_company(control.company("Café Crème S.à r.l.")["id"], status=2)
    new_company = control.add_company(root["id"], "Harbor Logistics Ltd")["id"]
    control.add_license(new_company, quantity=25, usage=3)
    items = control.licenses("northwind")
    for item, change in zip(
        items[:6],
        (
            {"usage": 31},
            {"quantity": 40},
            {"state": 3},
            {"usage": 2},
            {"expiration": "2027-06-30"},
            {"trial": True},
        ),
        strict=True,
    ):
        control.set_license(item["publicLicenseKey"], **change)
    control.remove_license(items[8]["publicLicenseKey"])
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded"
    return account, outcome["run_id"]


def test_changes_section_of_a_sync_run(page, admin, import_demo, sandbox):
    account, run_id = _changed(import_demo, sandbox)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/syncs/{run_id}/status")
    panel = page.locator("#change-panel")
    expect(panel).to_contain_text("Renamed from “Cedar Water KG” to “Cedar Water Group”")
    expect(panel.locator(".change-counts")).to_contain_text("License changed: 6")
    page.locator("#change-kind").select_option("license.changed")
    page.get_by_role("button", name="Filter").click()
    expect(panel.locator("tbody tr[data-kind]")).to_have_count(6)
    expect(page).to_have_url(
        re.compile(rf"/syncs/{run_id}/changes\?kind=license\.changed(&\w+=)*$")
    )
    page.goto(f"/syncs/{run_id}/status")
    expect(page.locator("#change-panel")).to_contain_text("Harbor Logistics Ltd")
    screenshot(page, "changes")
    page.goto(f"/accounts/{account.id}/changes?customer=Cedar")
    expect(page.locator("h1")).to_have_text(f"Changes of {account.name}")
    expect(page.locator("#change-panel")).to_contain_text("Cedar Water Group")


def test_tag_drift_fix_and_undo(page, admin, import_demo, sandbox):
    _changed(import_demo, sandbox)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/tags")
    expect(page.locator(".drift-count")).to_contain_text("Tag drift: ")
    page.locator(".drift-count a").click()
    expect(page.locator("h1")).to_have_text("Tag drift")
    rows = page.locator(".drift-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("licenses still tagged")
    screenshot(page, "tag-drift")
    rows.filter(has_text="Cedar Water Group").get_by_role("button").click()
    expect(page.locator("#drift-panel .flash")).to_contain_text(
        "Renamed the tag to the current name"
    )
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Undo “Cedar Water KG” → “Cedar Water Group”").click()
    expect(page.locator("#drift-panel .flash")).to_contain_text("Undone")
    expect(rows).to_have_count(2)
