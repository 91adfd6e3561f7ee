"""An htmx request without a live session gets 401 + HX-Redirect to the login page, which
returns to the page the user was on (issue 14, finding 8)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login, make_user
from tests.test_session_timeout import _customer_company

PAGE = "/licenses?status=expired&q=mail"


def _htmx(current: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Current-URL": f"http://localhost{current}"}


def test_an_expired_htmx_request_gets_401_and_hx_redirect_back_to_the_page(app, client, admin):
    response = client.get("/licenses?status=expired&q=mail&page=2", headers=_htmx(PAGE))
    assert response.status_code == 401
    location = response.headers["HX-Redirect"]
    assert urlsplit(location).path == "/login"
    assert parse_qs(urlsplit(location).query)["next"] == [PAGE]  # the page, not the fragment
    assert "<html" not in response.text and "sign in again" in response.text

    signed_in = client.post(location, data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == PAGE


def test_a_foreign_current_url_is_not_followed(app, client):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://evil.example/licenses"}
    response = client.get("/licenses", headers=headers)
    assert response.status_code == 401
    assert parse_qs(urlsplit(response.headers["HX-Redirect"]).query)["next"] == ["/licenses"]


def test_a_plain_request_without_a_session_redirects_to_login_with_next(app, client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == [PAGE]


def test_an_idle_customer_htmx_request_returns_to_the_same_page(app, client):
    make_user("user@contoso.example", "customer-pass-1", "customer", _customer_company())
    login(client, "user@contoso.example", "customer-pass-1")
    client.get("/")
    with client.session_transaction() as session:
        session["last_active"] = time.time() - 60 * 60
    response = client.get("/licenses?q=x", headers=_htmx("/licenses?q=x"))
    assert response.status_code == 401
    assert parse_qs(urlsplit(response.headers["HX-Redirect"]).query)["next"] == ["/licenses?q=x"]
