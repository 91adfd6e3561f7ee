"""Alerts: the dashboard panel and page, scoped (R12), with links to the filtered views, and
the optional e-mail digest (off by default) through the real SMTP test server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mspweb.alerts.digest import send_due_digests
from mspweb.extensions import db
from mspweb.models import Company
from mspweb.models.base import utcnow
from tests.plugins.sync import sync_now
from tests.scoping_world import build_scoping_world


@pytest.fixture()
def world(app, import_demo, sandbox):
    """The scoping world, with Tailspin's canary license overused after a sync."""
    world = build_scoping_world(app, import_demo, sandbox)
    site = sandbox.control.business("tailspin")["sites"]
    site_id = next(s["siteId"] for s in site if s["name"] == world.canaries.site)
    sandbox.control.set_license(
        world.canaries.license_key, allocations=[{"siteId": site_id, "quantity": 7, "usage": 9}]
    )
    assert sync_now(world.tailspin)["status"] == "succeeded"
    return world


def test_r12_alerts_panel_and_page_are_scoped_with_links(world):
    own = world.clients["t"].get("/alerts").text
    assert world.canaries.license_key in own and "/licenses?status=overused" in own
    assert world.canaries.license_key in world.clients["admin"].get("/alerts").text
    dashboard = world.clients["t"].get("/").text
    assert 'id="alerts-panel"' in dashboard and "Licenses overused" in dashboard
    for role in ("a", "operator", "n"):
        for url in ("/alerts", "/"):
            text = world.clients[role].get(url).text
            for canary in world.canaries.all():
                assert canary not in text, (role, url, canary)
    assert "Accounts whose last sync failed" not in own  # staff alerts: not for customers
    assert "Customers not set up" in world.clients["operator"].get("/alerts").text


def test_customers_not_set_up_for_a_week_are_an_alert(world):
    nordics = world.customer_n
    before = world.clients["admin"].get("/alerts").text
    nordics.first_seen_at = utcnow() - timedelta(days=8)
    db.session.commit()
    after = world.clients["admin"].get("/alerts").text
    assert nordics.name in after and nordics.name not in before
    assert db.session.get(Company, nordics.id).setup_state == "not_set_up"


def test_digest_is_off_by_default_then_daily_by_mail(world, mail_config):
    assert send_due_digests() == 0  # nobody subscribed
    response = world.clients["t"].post("/alerts/digest", data={"frequency": "daily"})
    assert response.status_code == 302
    assert (
        world.clients["t"].post("/alerts/digest", data={"frequency": "hourly"}).status_code == 400
    )
    assert send_due_digests() == 1
    [message] = mail_config.messages
    assert message["To"] == "customer-t@scope.example"
    body = message.get_payload(decode=True).decode()
    assert "Licenses overused: 2" in body and world.canaries.license_key in body
    assert "http://localhost/licenses?status=overused" in body
    assert send_due_digests() == 0  # not due again for a day
    assert send_due_digests(utcnow() + timedelta(days=1, minutes=1)) == 1
    world.clients["t"].post("/alerts/digest", data={"frequency": "off"})
    assert send_due_digests(utcnow() + timedelta(days=5)) == 0
