"""In a real browser: the administrator sets up a customer (R17); the customer signs in with the
generated password and sees its own licenses only (R12)."""

from __future__ import annotations

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Company, License
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot


def _sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def _customer_with_licenses(account) -> Company:
    counts = (
        select(License.company_id, func.count().label("n")).group_by(License.company_id).subquery()
    )
    return db.session.scalars(
        select(Company)
        .join(counts, counts.c.company_id == Company.id)
        .where(Company.account_id == account.id, Company.entity_type == 1007)
        .order_by(Company.name)
    ).first()


def test_r17_admin_sets_up_a_customer_who_then_sees_only_its_licenses(page, admin, import_demo):
    account = import_demo("fabrikam")
    customer = _customer_with_licenses(account)
    own_licenses = db.session.scalar(
        select(func.count(License.id)).where(License.company_id == customer.id)
    )

    _sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Managed Customers").click()
    page.fill("#customer-q", customer.name)
    row = page.locator(f"#customer-{customer.id}")
    row.get_by_role("link", name="Set up").click()
    page.wait_for_url(f"**/customers/{customer.id}/setup")
    assert (
        page.get_by_label("Group in the Computers tree").input_value()
        == f"Customers / {customer.name}"
    )
    page.get_by_label("Email").fill("owner@customer-e2e.example")
    page.get_by_role("button", name="Set up customer").click()
    summary = page.locator(".setup-done")
    summary.wait_for()
    password = summary.locator(".generated-password").inner_text().strip()
    assert len(password) >= 16
    assert "owner@customer-e2e.example" in summary.inner_text()
    screenshot(page, "customer-setup")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")

    _sign_in(page, "owner@customer-e2e.example", password)
    menu = page.get_by_role("navigation", name="Main menu").inner_text()
    assert "License Management" in menu
    assert "Managed Customers" not in menu and "Accounts" not in menu
    page.get_by_role("link", name="License Management").click()
    page.wait_for_url("**/licenses")
    users = page.locator("#license-table tbody tr[data-row] td:nth-child(4)")  # License User
    users.first.wait_for()
    texts = users.all_inner_texts()
    assert len(texts) == own_licenses
    assert all(customer.name in text for text in texts)
    assert page.locator("#license-tree a.tree-link").all_inner_texts() == [customer.name]
    screenshot(page, "customer-view")
