"""Issue 14 in a real browser: a sync finishing while the user works keeps their place
(finding 4), and its progress is announced once per change, never contradicting itself (7)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_accounts_flow import SYNC_TIMEOUT, _customers_with_licenses
from tests.e2e.usability import RECORD_ANNOUNCEMENTS, box

ROWS = "#license-table tbody tr[data-row]"

#: Every text the sync card showed while it changed.
RECORD_CARD_TEXTS = """
() => {
  window.cardTexts = [];
  new MutationObserver(() => {
    const card = document.querySelector(".sync-status");
    if (card) { window.cardTexts.push(card.innerText); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""


def test_a_finished_sync_keeps_the_users_place_and_is_announced_once(
    page, admin, import_demo, sandbox, sync_worker
):
    account = import_demo("northwind", business=True)
    renamed = _customers_with_licenses(account)[0]
    sandbox.control.rename_company(renamed.portal_id, "Renamed Industries")
    page.set_viewport_size({"width": 1280, "height": 700})
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/licenses")
    page.evaluate(RECORD_ANNOUNCEMENTS)
    page.evaluate(RECORD_CARD_TEXTS)
    filters_before = box(page.locator("#license-filters"))["y"]

    page.get_by_role("button", name="Synchronize licenses").click()
    rows = page.locator(ROWS)
    rows.nth(2).locator("input[name=license]").check()  # a selection...
    typing = rows.nth(20).locator(".tag-add input")
    typing.scroll_into_view_if_needed()
    typing.fill("half-typ")  # ...and a tag being typed, further down
    assert page.evaluate("window.scrollY") > 300
    where = box(typing)["y"]  # where the input is on the screen

    status = page.locator(f"#sync-slot-{account.id} .sync-status")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=SYNC_TIMEOUT)
    notice = page.get_by_role("button", name="New data: refresh")
    expect(notice).to_be_visible()  # nothing replaced under the user's hands
    expect(typing).to_have_value("half-typ")
    expect(typing).to_be_focused()
    expect(rows.nth(2).locator("input[name=license]")).to_be_checked()
    assert abs(box(typing)["y"] - where) < 5  # the view did not jump
    expect(page.locator("#license-table")).not_to_contain_text("Renamed Industries")

    selected = rows.nth(2).locator("input[name=license]").get_attribute("value")
    notice.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    notice.click()  # the user chooses when: the selection and the typed text survive
    expect(page.locator("#license-table")).to_contain_text("Renamed Industries")
    expect(page.locator(f"{ROWS} input[name=license][value='{selected}']").first).to_be_checked()
    expect(rows.nth(20).locator(".tag-add input")).to_have_value("half-typ")
    assert abs(page.evaluate("window.scrollY") - before) < 5
    expect(notice).to_be_hidden()

    announced = page.evaluate("window.announced")
    sync_lines = [line for line in announced if line.startswith("Synchronization of")]
    assert sync_lines and sync_lines[-1].endswith("Finished"), announced
    assert len(sync_lines) == len(set(sync_lines)), announced  # each change once, no repeats
    for text in page.evaluate("window.cardTexts"):
        assert "So far: 0 companies, 0 licenses" not in text, text
    assert box(page.locator("#license-filters"))["y"] - filters_before < 120
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "sync-finished-licenses")
    assert_accessible(page, "License Management after a sync")
