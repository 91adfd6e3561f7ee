"""In a real browser, on License Management: filters that live in the URL (a pushed URL opened
in a new page shows the same view), inline tags, and a tag renamed on the Tags page (R09)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Company, License
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot, sign_in

ROWS = "#license-table tbody tr[data-row]"


def _customer_with_licenses(account) -> tuple[Company, License]:
    """A customer of `account` with licenses, and one of them."""
    counts = (
        select(License.company_id, func.count().label("n")).group_by(License.company_id).subquery()
    )
    customer = db.session.scalars(
        select(Company)
        .join(counts, counts.c.company_id == Company.id)
        .where(Company.account_id == account.id, Company.entity_type == 1007)
        .order_by(counts.c.n.desc(), Company.name)
    ).first()
    license_ = db.session.scalars(
        select(License).where(License.company_id == customer.id).order_by(License.public_key)
    ).first()
    return customer, license_


def _open_tree_to(page, name: str):
    """Open the tree's collapsed nodes until the link of `name` shows; return that link."""
    link = page.locator("#license-tree a.tree-link", has_text=name).first
    for _ in range(5):
        if link.is_visible():
            break
        closed = page.locator("#license-tree details:not([open]) > summary")
        for index in range(closed.count()):
            closed.nth(index).locator(".tree-count").click()
    expect(link).to_be_visible()
    return link


def _row_ids(page) -> list[str]:
    return [row.get_attribute("data-row") for row in page.locator(ROWS).all()]


def test_filters_live_in_the_url_and_a_new_page_shows_the_same_view(
    page, browser, admin, import_demo, live_server
):
    account = import_demo("northwind", business=True)
    customer, license_ = _customer_with_licenses(account)
    search = license_.product_name.split()[0]
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="License Management").click()
    expect(page.locator(ROWS).first).to_be_visible()
    everything = page.locator(ROWS).count()

    _open_tree_to(page, customer.name).click()
    expect(page.locator("#license-table")).to_have_attribute("data-company", str(customer.id))
    page.get_by_label("Tag", exact=True).fill(customer.name)
    page.get_by_label("Tag", exact=True).press("Enter")
    expect(page.locator("#license-table .active-filters")).to_contain_text(f"Tag: {customer.name}")
    page.get_by_label("Search", exact=True).fill(search)  # debounced: no Enter
    expect(page.locator("#license-table .active-filters")).to_contain_text(f"Search: “{search}”")

    query = parse_qs(urlsplit(page.url).query)
    assert query["company"] == [str(customer.id)]
    assert query["tag"] == [customer.name]
    assert query["q"] == [search]
    rows = _row_ids(page)
    assert 1 <= len(rows) <= everything
    assert license_.public_key in page.locator("#license-table tbody").inner_text()
    screenshot(page, "licenses")

    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 1440, "height": 900},
        storage_state=page.context.storage_state(),
    )
    try:
        bookmark = context.new_page()
        bookmark.goto(page.url)
        expect(bookmark.get_by_role("navigation", name="Main menu")).to_be_visible()
        expect(bookmark.locator(ROWS)).to_have_count(len(rows))
        assert _row_ids(bookmark) == rows
        assert bookmark.get_by_label("Search", exact=True).input_value() == search
        assert bookmark.get_by_label("Tag", exact=True).input_value() == customer.name
        expect(bookmark.locator("#license-tree a.tree-link.selected")).to_have_text(customer.name)
    finally:
        context.close()


def test_r09_admin_adds_and_removes_a_tag_inline_then_renames_a_tag(page, admin, import_demo):
    account = import_demo("northwind", business=True)
    customer, license_ = _customer_with_licenses(account)
    key = license_.public_key
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"/licenses?q={key}")
    row = page.locator(ROWS).filter(has_text=key).first
    tags = row.locator(".tags-cell")

    row.get_by_label(f"Add a tag to {key}").fill("renewal-q3")
    row.get_by_role("button", name=f"Add the tag to {key}").click()
    expect(tags.locator(".tag-name")).to_contain_text(["renewal-q3"])
    row.get_by_role("button", name=f"Remove tag renewal-q3 from {key}").click()
    expect(tags.locator(".tag-name", has_text="renewal-q3")).to_have_count(0)
    expect(tags.locator(".tag-name", has_text=customer.name)).to_have_count(1)

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Tags").click()
    expect(page.locator("#tag-list tbody tr").filter(has_text=customer.name)).to_be_visible()
    screenshot(page, "tags")
    page.get_by_label("Search tags").fill(customer.name)
    expect(page.locator("#tag-list tbody tr")).to_have_count(1)
    tag_row = page.locator("#tag-list tbody tr").filter(has_text=customer.name)
    tag_row.get_by_role("link", name="Rename…").click()
    dialog = page.locator("#tag-dialog form")
    expect(dialog).to_contain_text(f"Rename the tag “{customer.name}”")
    dialog.get_by_label("New name").fill("Key account")
    dialog.get_by_role("button", name="Rename on").click()
    expect(page.locator("#tag-list [role=status]")).to_contain_text(
        f"Tag “{customer.name}” renamed to “Key account”"
    )
    expect(page.locator("#tag-list tbody tr").filter(has_text="Key account")).to_be_visible()

    page.goto(f"/licenses?q={key}")
    row = page.locator(ROWS).filter(has_text=key).first
    expect(row.locator(".tag-name")).to_have_text(["Key account"])
    page.goto("/licenses?tag=Key+account")
    expect(page.locator(ROWS).first).to_be_visible()
    assert all(
        "Key account" in text for text in page.locator(f"{ROWS} .tags-cell").all_inner_texts()
    )
