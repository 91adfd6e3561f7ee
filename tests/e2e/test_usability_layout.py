"""Issue 14 in a real browser: layout at every width and at 200 % zoom (findings 1, 2), contrast
and target sizes (9), lighter pages (10: the chip names the company, the bottom pager goes back
to the top), and axe-core clean on every page of the menu as admin, operator and customer."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.usability import (
    LONG_NAME,
    LONG_TAG,
    WIDTHS,
    box,
    long_names_world,
    page_pans_sideways,
    role_users,
    sized_page,
)

ROWS = "#license-table tbody tr[data-row]"


def test_every_width_and_200_percent_zoom_keep_tables_readable(
    page, browser, live_server, admin, import_demo
):
    _, customer, license_ = long_names_world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    state = page.context.storage_state()
    for width, height, scale in WIDTHS:
        where = f"{width}x{height}@{scale}x"
        with sized_page(browser, live_server, state, width, height, scale) as sized:
            sized.goto(f"/licenses?q={license_.public_key}")
            expect(sized.locator(ROWS).first).to_be_visible()
            assert not page_pans_sideways(sized), where
            tree, table = sized.locator("#lm-tree"), sized.locator("#license-table .table-scroll")
            if width < 900:  # finding 1: the tree is a disclosure above the table
                expect(sized.locator("#license-tree")).to_be_hidden()
                sized.get_by_role("button", name="Show the companies").click()
                expect(sized.locator("#license-tree [role=treeitem]").first).to_be_visible()
                assert box(tree)["bottom"] <= box(sized.locator("#license-filters"))["y"], where
            else:
                assert box(tree)["right"] <= box(table)["x"], where
            if width >= 1280 and scale == 1:  # finding 2: the Pool column is not off-screen
                pool = sized.get_by_role("columnheader", name="Pool")
                assert box(pool)["right"] <= box(table)["right"] + 1, where
            pill = sized.locator(".tag", has_text=LONG_TAG).first
            cell = sized.locator(ROWS).first.locator(".tags-cell")
            assert box(pill)["right"] <= box(cell)["right"] + 1, where  # the long tag wraps
            if width == 390:
                nav = sized.get_by_role("navigation", name="Main menu")
                expect(nav).to_be_hidden()  # the menu collapses on a phone
                sized.get_by_role("button", name="Menu").click()
                expect(nav.get_by_role("link", name="Managed Customers")).to_be_visible()
                assert_accessible(sized, f"License Management, menu open, {where}")
            for url in ("/customers", "/tags", "/syncs"):
                sized.goto(url)
                assert not page_pans_sideways(sized), f"{url} {where}"
                assert sized.locator(".table-scroll[role=region][tabindex='0']").count() >= 1
            if width >= 1280:  # a long unbreakable name does not push "Skip setup" away
                sized.goto("/customers")
                row = sized.locator("tr", has_text=LONG_NAME[:30])
                skip = row.get_by_role("button", name="Skip setup")
                assert box(skip)["right"] <= sized.viewport_size["width"], where


def test_focus_ring_borders_and_targets_meet_wcag_2_2_aa(page, admin, import_demo):
    _, customer, license_ = long_names_world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/licenses")
    search = page.get_by_label("Search", exact=True)
    search.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = search.evaluate("e => getComputedStyle(e).outlineColor")
    border = search.evaluate("e => getComputedStyle(e).borderTopColor")
    assert _contrast(ring, "rgb(255, 255, 255)") >= 3, ring  # WCAG 1.4.11 (was 1.6:1)
    assert _contrast(border, "rgb(255, 255, 255)") >= 3, border  # was 1.8:1
    row = page.locator(ROWS).first
    for target in (
        row.locator("input[type=checkbox]"),
        row.locator(".tag-remove").first,
        row.get_by_role("button", name="Add the tag to", exact=False),
        page.locator(".pager a").first,
        page.locator("th .sort").first,
    ):
        size = box(target)
        assert size["width"] >= 18 and size["height"] >= 18, size  # checkboxes: 18 + spacing
    for target in (row.locator(".tag-remove").first, page.locator(".pager a").first):
        size = box(target)
        assert size["width"] >= 24 and size["height"] >= 24, size
    assert_accessible(page, "License Management")
    page.goto("/tags")
    rename = page.locator("#tag-list tr", has_text=LONG_TAG).get_by_role("link", name="Rename…")
    page.goto(rename.get_attribute("href"))  # the full page: with an h1 (finding 9)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("Rename the tag")
    assert_accessible(page, "Rename tag, full page")


def test_the_chip_names_the_company_and_the_bottom_pager_returns_to_the_top(
    page, admin, import_demo
):
    _, customer, _ = long_names_world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/licenses?company={customer.account.root_company_id}&per_page=10")
    chip = page.locator(".active-filters .chip").first
    expect(chip).to_contain_text("Northwind")
    expect(chip).not_to_contain_text("Tree node #")
    bottom = page.get_by_role("navigation", name="Pages of licenses, below the table")
    bottom.get_by_role("link", name="Next page").click()
    expect(
        page.get_by_role("navigation", name="Pages of licenses, above the table")
    ).to_contain_text("11–20")
    assert -5 <= box(page.locator("#license-table"))["y"] <= 200  # back at the table's top
    expect(page.locator("#license-table-heading")).to_be_focused()
    chip.get_by_role("link").click()  # removing the chip: focus is not dropped to <body>
    expect(page.locator(".active-filters .chip")).to_have_count(0)
    expect(page.locator("#license-table-heading")).to_be_focused()  # not <body>


def test_axe_finds_nothing_on_any_page_of_the_menu_for_every_role(
    page, browser, live_server, admin, import_demo
):
    account, customer, _ = long_names_world(import_demo)
    users = role_users(account, customer)
    for role, (email, password) in users.items():
        context = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
        try:
            visitor = context.new_page()
            sign_in(visitor, email, password)
            assert_accessible(visitor, f"Dashboard as {role}")
            menu = visitor.get_by_role("navigation", name="Main menu").get_by_role("link")
            urls = [link.get_attribute("href") for link in menu.all()]
            for url in urls:
                visitor.goto(url)
                expect(visitor.locator("h1")).to_have_count(1)
                assert_accessible(visitor, f"{url} as {role}")
            if role == "admin":
                visitor.goto("/licenses")
                screenshot(visitor, "licenses-1440")
                visitor.goto("/customers")
                screenshot(visitor, "customers-1440")
                visitor.set_viewport_size({"width": 390, "height": 844})
                screenshot(visitor, "customers-390")
                visitor.goto("/licenses")
                screenshot(visitor, "licenses-390")
        finally:
            context.close()


def _contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(css: str) -> float:
        parts = [int(float(p)) for p in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        linear = [
            (c / 255) / 12.92 if c / 255 <= 0.03928 else (((c / 255) + 0.055) / 1.055) ** 2.4
            for c in parts
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
