"""`Vary: HX-Request` comes from one hook: on every answer of a view that asked about htmx."""

from __future__ import annotations

from tests.page_helpers import HX


def test_a_page_says_it_varies_by_hx_request_with_or_without_the_header(admin_client):
    for headers in ({}, HX):
        response = admin_client.get("/computers", headers=headers)
        assert response.status_code == 200
        assert "HX-Request" in response.headers.get("Vary", "")


def test_an_answer_that_never_looks_at_htmx_does_not_vary_by_it(admin_client):
    response = admin_client.get("/healthz", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" not in response.headers.get("Vary", "")


def test_the_sync_status_poll_sends_its_trigger_through_flask_htmx(admin_client):
    """An unknown run is 404 whatever the trigger; the page of a missing run varies too."""
    response = admin_client.get("/syncs/999999?poll=1", headers=HX)
    assert response.status_code == 404
    assert "HX-Request" in response.headers["Vary"]
    assert "HX-Trigger" not in response.headers
