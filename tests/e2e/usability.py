"""Helpers for the usability browser tests (issue 14): a world with long names, pages at a
given width or zoom, geometry checks, and the live region's announcements."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Company, License, User
from mspweb.tags.service import add_tag
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_user

#: (width, height, device scale): a phone, a tablet, a laptop, a desktop, and the laptop at
#: 200 % zoom (a 1280 x 800 window at 200 % lays out a 640 x 400 CSS viewport).
WIDTHS = [(390, 844, 1), (768, 1024, 1), (1280, 800, 1), (1920, 1080, 1), (640, 400, 2)]
LONG_NAME = "Aaaa" + "Unbreakablecustomername" * 5  # 119 characters, no break opportunity
LONG_TAG = "t" * 100  # the longest tag name allowed
PASSWORD = "usability-pass-1"

#: Collects what the polite live region says, in order (kept across swaps of the page).
RECORD_ANNOUNCEMENTS = """
() => {
  window.announced = [];
  const region = document.getElementById("live-status");
  new MutationObserver(() => {
    const text = region.textContent.trim();
    if (text) { window.announced.push(text); }
  }).observe(region, {childList: true, characterData: true, subtree: true});
}
"""


def long_names_world(import_demo):
    """Northwind imported and synchronized; one customer renamed to 119 unbreakable characters
    carrying a 100-character tag. Returns (account, that customer, one of its licenses)."""
    account = import_demo("northwind", business=True)
    counts = (
        select(License.company_id, func.count().label("n")).group_by(License.company_id).subquery()
    )
    customer = db.session.scalars(
        select(Company)
        .join(counts, counts.c.company_id == Company.id)
        .where(Company.account_id == account.id, Company.entity_type == 1007)
        .order_by(counts.c.n.desc(), Company.name)
    ).first()
    customer.name = LONG_NAME
    license_ = db.session.scalars(
        select(License).where(License.company_id == customer.id).order_by(License.public_key)
    ).first()
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    add_tag(license_, LONG_TAG, admin)
    db.session.commit()
    return account, customer, license_


def role_users(account, customer) -> dict[str, tuple[str, str]]:
    """An operator (confined to the account's root company) and a customer login."""
    make_user(
        "operator@usability.example",
        PASSWORD,
        "operator",
        db.session.get(Company, account.root_company_id),
    )
    make_user("customer@usability.example", PASSWORD, "customer", customer)
    return {
        "admin": (ADMIN_EMAIL, ADMIN_PASSWORD),
        "operator": ("operator@usability.example", PASSWORD),
        "customer": ("customer@usability.example", PASSWORD),
    }


@contextmanager
def sized_page(browser, live_server, storage_state, width: int, height: int, scale: int = 1):
    """A page of a new context at `width` x `height` CSS pixels (`scale`: zoom), signed in."""
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        storage_state=storage_state,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def box(locator) -> dict:
    """The element's bounding box (x, y, width, height, right, bottom) in CSS pixels."""
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return dict(found, right=found["x"] + found["width"], bottom=found["y"] + found["height"])


def page_pans_sideways(page) -> bool:
    """True when the document is wider than the window (the page itself scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def focused(page) -> str:
    """A short description of the focused element, for assertions and messages."""
    return page.evaluate(
        """() => { const e = document.activeElement;
        return e === document.body ? "BODY" : e.tagName + (e.id ? "#" + e.id : "") + " " +
          (e.getAttribute("aria-label") || e.textContent.trim().slice(0, 40)); }"""
    )
