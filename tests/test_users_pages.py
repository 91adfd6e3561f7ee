"""Administrators manage console users on the Users page; others cannot reach it."""

from __future__ import annotations

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import AuditEntry, User
from tests.conftest import login, make_user
from tests.test_session_timeout import _customer_company


def test_admin_creates_an_operator_confined_to_a_subtree(app, admin_client):
    company = _customer_company()
    company.entity_type = 1005
    db.session.commit()
    page = admin_client.get("/users")
    assert page.status_code == 200 and company.name in page.text
    response = admin_client.post(
        "/users",
        data={
            "email": "op@msp.example",
            "password": "operator-pass-1",
            "role": "operator",
            "company_id": str(company.id),
        },
    )
    assert response.status_code == 303
    operator = db.session.scalar(select(User).where(User.email == "op@msp.example"))
    assert operator.role == "operator" and operator.company_id == company.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry.target == "op@msp.example" and entry.actor == "admin@msp.example"


def test_operator_without_a_company_is_refused_inline(app, admin_client):
    response = admin_client.post(
        "/users",
        data={
            "email": "op@msp.example",
            "password": "operator-pass-1",
            "role": "operator",
            "company_id": "0",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Choose the company" in response.text and "<html" not in response.text


def test_duplicate_email_and_short_password_are_refused_with_a_message(app, admin_client):
    duplicate = admin_client.post(
        "/users", data={"email": "admin@msp.example", "password": "long-enough-2", "role": "admin"}
    )
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    short = admin_client.post(
        "/users", data={"email": "new@msp.example", "password": "short", "role": "admin"}
    )
    assert short.status_code == 422 and "at least 8" in short.text


def test_deactivated_user_cannot_sign_in(app, admin_client, client):
    user = make_user("old@msp.example", "old-password-1")
    admin_client.post(f"/users/{user.id}/active", data={"active": "0"})
    other = app.test_client()
    assert login(other, "old@msp.example", "old-password-1").status_code == 401


def test_users_and_audit_pages_are_for_administrators_only(app, client):
    company = _customer_company()
    make_user("user@contoso.example", "customer-pass-1", "customer", company)
    login(client, "user@contoso.example", "customer-pass-1")
    assert client.get("/users").status_code == 404
    assert client.get("/audit").status_code == 404
    assert client.post("/users", data={"email": "x@y.example"}).status_code == 404


def test_audit_log_lists_entries_and_filters_in_the_url(app, admin_client):
    admin_client.post(
        "/users", data={"email": "new@msp.example", "password": "long-enough-2", "role": "admin"}
    )
    page = admin_client.get("/audit?action=user.create")
    assert page.status_code == 200 and "new@msp.example" in page.text
    fragment = admin_client.get("/audit?action=nothing", headers={"HX-Request": "true"})
    assert "new@msp.example" not in fragment.text and "<html" not in fragment.text
