"""A person signs in and out in a real browser."""

from __future__ import annotations

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot


def test_admin_signs_in_and_out_in_the_browser(page, admin):
    page.goto("/login")
    screenshot(page, "login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.get_by_text("Invalid email or password").is_visible()
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You have been signed out.").is_visible()
