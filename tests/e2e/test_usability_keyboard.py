"""Issue 14 in a real browser, with the keyboard: focus after htmx swaps (finding 3), the tree
(5), dialogs (6) and an expired session during a filter change (8)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import sign_in
from tests.e2e.usability import focused, long_names_world

ROWS = "#license-table tbody tr[data-row]"


def test_focus_lands_on_the_changed_control_after_every_htmx_update(page, admin, import_demo):
    _, customer, license_ = long_names_world(import_demo)
    key = license_.public_key
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/licenses?q={key}")
    row = page.locator(ROWS).filter(has_text=key).first
    add = row.get_by_label(f"Add a tag to {key}")
    add.fill("renewal-q3")
    add.press("Enter")  # inline tag add: focus back in that row's tag input, and announced
    expect(row.locator(".tag-name", has_text="renewal-q3")).to_be_visible()
    expect(row.get_by_label(f"Add a tag to {key}")).to_be_focused()
    expect(page.locator("#live-status")).to_contain_text(f"Tags of {key}")
    row.get_by_role("button", name=f"Remove tag renewal-q3 from {key}").click()
    expect(row.locator(".tag-name", has_text="renewal-q3")).to_have_count(0)
    expect(row.get_by_label(f"Add a tag to {key}")).to_be_focused()
    add = row.get_by_label(f"Add a tag to {key}")
    add.fill("   ")
    add.press("Enter")  # 422: the field keeps focus, invalid, linked to its error
    error = row.locator(".field-error")
    expect(error).to_contain_text("Enter a tag name")
    field = row.get_by_label(f"Add a tag to {key}")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-describedby", error.get_attribute("id"))

    page.goto("/licenses?per_page=10")
    page.get_by_role("link", name="Product").click()  # sorting: focus stays on the header
    expect(page).to_have_url(re.compile(r"sort=product"))
    expect(page.locator("[data-focus-key=sort-product]")).to_be_focused()
    top = page.get_by_role("navigation", name="Pages of licenses, above the table")
    top.get_by_role("link", name="Next page").click()  # paging: focus stays on "Next"
    expect(top).to_contain_text("11–20")
    expect(top.get_by_role("link", name="Next page")).to_be_focused()
    page.get_by_label("Search", exact=True).fill("zzz-nothing")  # typing keeps the search box
    expect(page.locator("#license-table .empty")).to_be_visible()
    expect(page.get_by_label("Search", exact=True)).to_be_focused()
    expect(page.locator("#live-status")).to_contain_text("0 licenses in pools match")

    page.goto("/customers")  # Skip setup: focus on the row's confirmation
    row = page.locator("tr", has_text=customer.name[:30])
    row.get_by_role("button", name="Skip setup").click()
    expect(row.locator(".row-message")).to_be_focused()
    assert focused(page) != "BODY"


def test_the_tree_is_one_tab_stop_and_follows_the_arrow_keys(page, admin, import_demo):
    long_names_world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/licenses")
    page.get_by_role("button", name="Synchronize licenses").focus()
    page.keyboard.press("Tab")
    root = page.get_by_role("treeitem").first
    expect(root).to_be_focused()  # the first Tab enters the tree...
    page.keyboard.press("Tab")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()  # ...the next leaves it
    page.keyboard.press("Shift+Tab")
    expect(root).to_be_focused()
    expect(root).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowLeft")  # closes the node: aria-expanded follows
    expect(root).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#tree-group-" + root.get_attribute("data-company"))).to_be_hidden()
    page.keyboard.press("ArrowRight")
    expect(root).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowRight")  # into the first child
    first_child = page.locator(
        f"#tree-group-{root.get_attribute('data-company')} [role=treeitem]"
    ).first
    expect(first_child).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(first_child).not_to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("treeitem").last).to_be_focused()
    page.keyboard.press("Home")
    expect(root).to_be_focused()
    page.keyboard.press("ArrowDown")
    child = page.locator(":focus")
    company = child.get_attribute("data-company")
    page.keyboard.press("Enter")  # follows the link: the table filters by that company
    expect(page.locator("#license-table")).to_have_attribute("data-company", company)
    assert page.locator("#license-tree [tabindex='0']").count() == 1  # still one tab stop
    assert_accessible(page, "License Management, filtered from the tree")


def test_dialogs_take_focus_trap_it_close_on_escape_and_give_it_back(page, admin, import_demo):
    long_names_world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/accounts")
    opener = page.get_by_role("link", name="Remove pools…").first
    opener.click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()  # the safe choice
    assert_accessible(page, "Accounts, remove-pools dialog open")
    for _ in range(4):  # Tab cycles inside the modal dialog
        page.keyboard.press("Tab")
        assert dialog.evaluate("(d) => d.contains(document.activeElement)"), focused(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()

    page.goto("/tags")
    opener = page.locator("#tag-list tbody tr").first.get_by_role("link", name="Delete…")
    opener.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    opener.click()
    page.get_by_role("dialog").get_by_role("button", name="Delete from").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#tag-list [role=status]")).to_be_focused()  # "Tag … deleted"


def test_an_expired_session_during_a_filter_change_opens_the_login_and_returns(
    page, admin, import_demo
):
    import_demo("northwind", business=True)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/licenses?per_page=10")
    expect(page.locator(ROWS).first).to_be_visible()
    page.context.clear_cookies()  # the session has ended
    page.get_by_label("Status").select_option("expired")
    page.wait_for_url("**/login?**")
    expect(page.get_by_role("heading", level=1)).to_have_text("mspweb")  # the whole login page
    expect(page.locator("#license-table")).to_have_count(0)
    wanted = parse_qs(urlsplit(page.url).query)["next"][0]
    assert wanted == "/licenses?per_page=10"  # the page the user was on, not the fragment
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/licenses?per_page=10")
    expect(page.locator(ROWS).first).to_be_visible()
