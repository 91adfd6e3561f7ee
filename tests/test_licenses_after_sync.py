"""License Management on data written by the real import and sync, from the sandbox portal."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Company, PoolLicense
from tests.plugins.sync import sync_now

HX = {"HX-Request": "true"}


def tree_text(html: str) -> str:
    """The License Management tree's part of a page."""
    return html.split('id="license-tree"')[1].split("</aside>")[0]


def test_r07_r18_tree_after_a_sync_holds_only_companies_with_licenses(admin_client, import_demo):
    import_demo("northwind")
    page = admin_client.get("/licenses?per_page=200")
    assert page.status_code == 200
    tree = tree_text(page.text)
    companies = db.session.execute(select(Company.name, Company.in_license_tree)).all()
    without = [name for name, in_tree in companies if not in_tree]
    assert without, "the sandbox leaves some customers without licenses"
    for name in without:
        assert f">{escape(name)}<" not in tree
    rows = db.session.scalar(select(func.count()).select_from(PoolLicense))
    assert f"of {rows:,} licenses in pools" in page.text
    root_count = re.search(r'class="tree-count"[^>]*>([\d,]+)<', tree).group(1)
    assert int(root_count.replace(",", "")) == rows


def test_r07_a_company_enters_the_tree_at_the_sync_that_finds_its_licenses(
    admin_client, import_demo, sandbox
):
    account = import_demo("northwind")
    empty = db.session.scalar(
        select(Company).where(Company.in_license_tree.is_(False), Company.entity_type == 1007)
    )
    assert f">{escape(empty.name)}<" not in tree_text(admin_client.get("/licenses").text)
    sandbox.control.add_license(
        empty.portal_id,
        product_code="EES",
        product_name="ESET Endpoint Security",
        quantity=5,
        usage=1,
    )
    assert sync_now(account)["status"] == "succeeded"
    page = admin_client.get(f"/licenses?company={empty.id}")
    assert f">{escape(empty.name)}<" in tree_text(page.text)
    assert "1–1 of 1 licenses in pools" in page.text


def test_r09_r10_a_portal_rename_shows_everywhere_but_the_tags_stay(
    admin_client, import_demo, sandbox
):
    account = import_demo("northwind")
    customer = db.session.scalar(
        select(Company).where(
            Company.in_license_tree.is_(True),
            Company.entity_type == 1007,
            Company.name.like("%Ltd%"),
        )
    )
    old_name = customer.name
    sandbox.control.rename_company(customer.portal_id, "Renamed Holdings Ltd")
    assert sync_now(account)["status"] == "succeeded"
    page = admin_client.get(f"/licenses?company={customer.id}").text
    assert "Renamed Holdings Ltd" in tree_text(page)
    users = re.findall(r'</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td class="num', page)
    assert users and set(users) == {"Renamed Holdings Ltd"}
    assert f'<span class="tag-name">{escape(old_name)}</span>' in page  # escaped, as all names
    assert "Renamed Holdings Ltd" not in admin_client.get("/tags").text


def test_every_status_of_the_sandbox_showcase_can_be_filtered(admin_client, import_demo):
    import_demo("northwind")
    for status in ("overused", "suspended", "expired", "trial", "expiring", "normal"):
        page = admin_client.get(f"/licenses?status={status}", headers=HX).text
        assert f"status-{status}" in page, status
        assert "No license in a pool matches" not in page


def test_r10_business_portal_pools_show_company_and_site(admin_client, import_demo):
    import_demo("tailspin", msp=False, business=True)
    rows = admin_client.get("/licenses/export.csv").text.splitlines()[1:]
    users = {row.split(",")[2] for row in rows}
    assert any(" / " in user for user in users), users  # at least one site pool
    assert all("business portal" in row for row in rows)
