"""In a real browser, across the console's main pages: every URL htmx pushes renders the full
page when loaded directly, every state-changing form or button carries a CSRF token, and each
page is saved as a screenshot for the README."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import screenshot, sign_in

#: Path and screenshot name of each main page (login and customer setup have their own tests).
MAIN_PAGES = [
    ("/", "dashboard"),
    ("/licenses", None),  # its screenshot shows filters: test_console_licenses
    ("/customers", "customers"),
    ("/computers", "computers"),
    ("/accounts", None),  # test_accounts_flow, with a finished sync
    ("/syncs", None),
    ("/tags", None),
    ("/users", "users"),
    ("/audit", "audit"),
]

#: Records each URL htmx pushes into the history (kept across page loads of the tab).
RECORD_PUSHED_URLS = """
document.addEventListener("htmx:pushedIntoHistory", (event) => {
  const pushed = JSON.parse(sessionStorage.getItem("pushed") || "[]");
  pushed.push(event.detail.path);
  sessionStorage.setItem("pushed", JSON.stringify(pushed));
});
"""

#: The URLs a page's hx-push-url controls would push: links' hx-get, forms' GET with values.
PUSHABLE_URLS = """
() => {
  const urls = [];
  document.querySelectorAll("[hx-push-url=true]").forEach((element) => {
    const form = element.tagName === "FORM" ? element : element.closest("form");
    if (element.tagName === "A" || !form) {
      urls.push(element.getAttribute("hx-get"));
    } else {
      const query = new URLSearchParams(new FormData(form)).toString();
      urls.push((element.getAttribute("hx-get") || form.getAttribute("action")) + "?" + query);
    }
  });
  return [...new Set(urls.filter(Boolean))];
}
"""

#: What in the DOM changes state without a CSRF token: POST forms without the hidden field,
#: hx-post/put/patch/delete elements without a form token and without the inherited header.
MISSING_CSRF = """
() => {
  const missing = [];
  const bodyHeaders = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  const metaToken = document.querySelector("meta[name=csrf-token]").content;
  if (!bodyHeaders["X-CSRFToken"] || bodyHeaders["X-CSRFToken"] !== metaToken) {
    missing.push("<body> has no hx-headers X-CSRFToken matching the page's token");
  }
  const unsafe = "[hx-post],[hx-put],[hx-patch],[hx-delete]";
  const hasToken = (form) => !!(form && form.querySelector("input[name=csrf_token]")?.value);
  document.querySelectorAll("form").forEach((form) => {
    const posts = (form.getAttribute("method") || "get").toLowerCase() !== "get";
    if ((posts || form.matches(unsafe)) && !hasToken(form)) {
      missing.push("form " + (form.getAttribute("action") || form.id || form.className));
    }
  });
  document.querySelectorAll(unsafe).forEach((element) => {
    if (hasToken(element.closest("form"))) { return; }
    const holder = element.closest("[hx-headers]");
    const disinherits = element.closest("[hx-disinherit]");
    if (!holder || !holder.getAttribute("hx-headers").includes("X-CSRFToken") ||
        (disinherits && disinherits !== document.body)) {
      missing.push(element.tagName + " " + element.outerHTML.slice(0, 120));
    }
  });
  return missing;
}
"""


def _assert_full_page(page, url: str) -> None:
    """A plain GET of `url` (no HX-Request: a bookmark, a reload) answers the whole page."""
    response = page.request.get(url)
    assert response.status == 200, f"{url}: {response.status}"
    html = response.text()
    assert html.lstrip().lower().startswith("<!doctype html>"), url
    assert 'aria-label="Main menu"' in html, f"{url} did not render the menu"


def _assert_csrf_everywhere(page, where: str) -> None:
    assert page.evaluate(MISSING_CSRF) == [], where


def test_pushed_urls_load_as_full_pages_and_every_form_carries_a_csrf_token(
    page, admin, import_demo
):
    account = import_demo("northwind", business=True)
    page.add_init_script(RECORD_PUSHED_URLS)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    menu = page.get_by_role("navigation", name="Main menu")

    pushable: set[str] = set()
    for path, name in MAIN_PAGES:
        page.goto(path)
        expect(menu).to_be_visible()
        _assert_csrf_everywhere(page, path)
        pushable.update(page.evaluate(PUSHABLE_URLS))
        if name:
            screenshot(page, name)

    # Controls that push a URL, one per page that has them.
    page.goto("/licenses")
    page.locator("#license-table thead").get_by_role("link", name="Product").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=product(&|$)"))
    page.get_by_label("Status", exact=True).select_option("normal")
    expect(page).to_have_url(re.compile(r"[?&]status=normal(&|$)"))
    page.goto("/customers")
    page.get_by_label("Search").fill("a")
    expect(page).to_have_url(re.compile(r"[?&]q=a(&|$)"))
    page.goto("/syncs")
    page.get_by_label("Outcome").select_option("succeeded")
    expect(page).to_have_url(re.compile(r"[?&]status=succeeded(&|$)"))
    page.goto("/tags")
    page.get_by_label("Search tags").fill("North")
    expect(page).to_have_url(re.compile(r"[?&]q=North(&|$)"))
    page.goto("/audit")
    page.get_by_label("Outcome").select_option("ok")
    expect(page).to_have_url(re.compile(r"[?&]outcome=ok(&|$)"))

    pushed = page.evaluate("JSON.parse(sessionStorage.getItem('pushed') || '[]')")
    assert len(pushed) >= 6, pushed
    for url in sorted(pushable | set(pushed)):
        _assert_full_page(page, url)

    # Opened in a fresh tab, a pushed URL shows the page with its filters applied.
    fresh = page.context.new_page()
    fresh.goto(pushed[-1])
    expect(fresh.get_by_role("navigation", name="Main menu")).to_be_visible()
    expect(fresh.get_by_label("Outcome")).to_have_value("ok")
    fresh.close()

    # Forms that only appear on demand carry their token too.
    page.goto("/accounts")
    page.get_by_role("link", name="Add account").click()
    expect(page.get_by_role("region", name="Add account")).to_be_visible()
    page.get_by_role("link", name="Remove pools…").click()
    expect(page.get_by_role("alertdialog")).to_contain_text(account.name)
    _assert_csrf_everywhere(page, "/accounts with its dialogs open")
    page.goto("/tags")
    page.locator("#tag-list").get_by_role("link", name="Rename…").first.click()
    expect(page.get_by_label("New name")).to_be_visible()
    _assert_csrf_everywhere(page, "/tags with the rename dialog open")
