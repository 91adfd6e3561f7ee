"""The main menu: which entries the signed-in user sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class MenuItem:
    """One entry of the main menu."""

    label: str
    endpoint: str
    url: str
    active: bool


#: (label, endpoint, who sees it: "all", "staff" (admins and operators), "admin").
MENU = [
    ("Dashboard", "main.dashboard", "all"),
    ("Alerts", "alerts.index", "all"),
    ("License Management", "licenses.index", "all"),
    ("Reports", "reports.license_users", "all"),  # issue 10
    ("Managed Customers", "customers.index", "staff"),
    ("Computers", "computers.index", "staff"),
    ("Accounts", "accounts.index", "admin"),
    ("Sync history", "syncs.index", "staff"),
    ("Changes", "changes.index", "staff"),
    ("Tags", "tags.index", "staff"),
    ("Tag drift", "drift.index", "staff"),
    ("Users", "users.index", "admin"),
    ("Audit log", "audit.index", "admin"),
    ("Security", "security.index", "admin"),  # issue 15
    ("Your sessions", "account.sessions", "all"),  # issue 15
    ("Webhooks", "webhooks.index", "admin"),
    ("API tokens", "tokens.index", "all"),
]


def menu_items() -> list[MenuItem]:
    """The menu entries the current user may see."""
    if not current_user.is_authenticated:
        return []
    items = []
    for label, endpoint, audience in MENU:
        if not _visible(endpoint, audience):
            continue
        blueprint = endpoint.split(".")[0]
        items.append(MenuItem(label, endpoint, url_for(endpoint), request.blueprint == blueprint))
    return items


def _visible(endpoint: str, audience: str) -> bool:
    if audience == "admin":
        return current_user.is_admin
    if audience == "staff":
        if current_user.is_customer:
            return False
        if endpoint == "customers.index":
            return managed_customers_available()
    return True


def managed_customers_available() -> bool:
    """R16: Managed Customers shows once an account has been synchronized."""
    from sqlalchemy import select

    from mspweb.extensions import db
    from mspweb.models import Account

    synchronized = select(Account.id).where(Account.last_success_at.is_not(None)).limit(1)
    return db.session.scalar(synchronized) is not None


def register_menu(app: Flask) -> None:
    """Make `menu_items` available to every template."""
    app.context_processor(lambda: {"menu_items": menu_items})
