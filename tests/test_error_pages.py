"""Error pages for 403, 404 and 500: full pages, or fragments for htmx requests."""

from __future__ import annotations

import pytest

from tests.page_helpers import HX, make_account, make_company, signed_in


def test_404_is_a_full_page_or_a_fragment(app, admin_client):
    page = admin_client.get("/computers/12345/children")
    assert page.status_code == 404 and "<html" in page.text and "404 · Not Found" in page.text
    fragment = admin_client.get("/computers/12345/children", headers=HX)
    assert fragment.status_code == 404 and "<html" not in fragment.text
    assert 'role="alert"' in fragment.text and "There is nothing here" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_403_is_a_full_page_or_a_fragment(app):
    operator = signed_in(app, "operator", make_company(make_account(), "Northwind MSP", 1005))
    page = operator.get("/accounts")
    assert (
        page.status_code == 403 and "<html" in page.text and "You do not have access" in page.text
    )
    fragment = operator.get("/accounts", headers=HX)
    assert fragment.status_code == 403 and "<html" not in fragment.text and "403" in fragment.text


@pytest.fixture()
def failing_computers(app, monkeypatch):
    """A real page whose query breaks, with exceptions handled as in production."""

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("mspweb.computers.views.root_nodes", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    return app


def test_500_is_a_clear_page_that_reveals_nothing(failing_computers, admin_client):
    page = admin_client.get("/computers")
    assert page.status_code == 500 and "<html" in page.text
    assert (
        "Something went wrong on our side" in page.text
        and "secret internal detail" not in page.text
    )
    fragment = admin_client.get("/computers", headers=HX)
    assert fragment.status_code == 500 and "<html" not in fragment.text
    assert 'role="alert"' in fragment.text and "secret internal detail" not in fragment.text


def test_a_post_without_its_csrf_token_gets_a_clear_400(app, admin_client):
    account = make_account()
    response = admin_client.post(f"/accounts/{account.id}/sync", csrf=False, headers=HX)
    assert response.status_code == 400 and "security token" in response.text
