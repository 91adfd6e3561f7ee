"""A customer user's session ends after CUSTOMER_SESSION_MINUTES without activity."""

from __future__ import annotations

import time

from mspweb.crypto import encrypt_secret
from mspweb.extensions import db
from mspweb.models import Account, Company
from tests.conftest import login, make_user


def _customer_company() -> Company:
    account = Account(
        name="Northwind MSP",
        identity="x|y|",
        username="x",
        msp_url="http://portal.invalid",
        password_encrypted=encrypt_secret("pw"),
    )
    db.session.add(account)
    db.session.flush()
    company = Company(account_id=account.id, portal_id="c-1", name="Contoso", entity_type=1007)
    db.session.add(company)
    db.session.commit()
    return company


def test_customer_session_ends_after_15_idle_minutes(app, client):
    make_user("user@contoso.example", "customer-pass-1", "customer", _customer_company())
    assert login(client, "user@contoso.example", "customer-pass-1").status_code == 302
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["last_active"] = time.time() - 14 * 60
    assert client.get("/").status_code == 200  # 14 minutes idle: still signed in
    with client.session_transaction() as session:
        session["last_active"] = time.time() - 16 * 60
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get("/login")
    assert "signed out after 15 minutes without activity" in page.text
    assert client.get("/").status_code == 302  # really signed out


def test_idle_timeout_answers_htmx_requests_with_a_redirect_header(app, client):
    make_user("user@contoso.example", "customer-pass-1", "customer", _customer_company())
    login(client, "user@contoso.example", "customer-pass-1")
    client.get("/")
    with client.session_transaction() as session:
        session["last_active"] = time.time() - 60 * 60
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.headers.get("HX-Redirect") == "/login"


def test_administrators_are_not_signed_out_by_the_customer_timeout(app, admin_client):
    with admin_client.session_transaction() as session:
        session["last_active"] = time.time() - 30 * 60
    assert admin_client.get("/").status_code == 200


def test_the_timeout_is_configurable(app, client):
    make_user("user@contoso.example", "customer-pass-1", "customer", _customer_company())
    login(client, "user@contoso.example", "customer-pass-1")
    client.get("/")
    app.config["CUSTOMER_SESSION_MINUTES"] = 60
    try:
        with client.session_transaction() as session:
            session["last_active"] = time.time() - 30 * 60
        assert client.get("/").status_code == 200
    finally:
        app.config["CUSTOMER_SESSION_MINUTES"] = 15
