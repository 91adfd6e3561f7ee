"""Signing in and out, and the user CLI."""

from __future__ import annotations

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login


def test_login_page_renders_a_form_with_email_and_password(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="email"' in response.text and 'name="password"' in response.text
    assert 'name="csrf_token"' in response.text


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_signs_in_and_sees_the_dashboard(client, admin):
    response = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert ADMIN_EMAIL in page.text and "Dashboard" in page.text


def test_wrong_password_says_only_invalid_email_or_password(client, admin):
    response = login(client, ADMIN_EMAIL, "wrong-password")
    assert response.status_code == 401
    assert "Invalid email or password" in response.text
    unknown = login(client, "nobody@msp.example", "whatever-123")
    assert "Invalid email or password" in unknown.text
    assert "nobody@msp.example" not in unknown.text.replace('value="nobody@msp.example"', "")


def test_logout_is_a_post_with_csrf(admin_client):
    assert admin_client.get("/logout").status_code == 405
    refused = admin_client.post("/logout", csrf=False)
    assert refused.status_code == 400
    assert admin_client.post("/logout").status_code == 302
    assert admin_client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, admin):
    response = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_parameter_never_leaves_the_site(client, admin):
    response = client.post(
        "/login?next=https://evil.example/", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_cli_creates_an_admin_who_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "Ops@MSP.example", "--password", "long-enough-1"]
    )
    assert result.exit_code == 0, result.output
    assert login(client, "ops@msp.example", "long-enough-1").status_code == 302


def test_cli_refuses_a_customer_without_a_known_company(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "c@x.example",
            "--password",
            "long-enough-1",
            "--role",
            "customer",
            "--company",
            "no-such-id",
        ]
    )
    assert result.exit_code != 0
    assert "No company with portal id" in result.output


def test_repeated_failures_for_one_email_are_refused(app, client, admin):
    app.config["LOGIN_RATE_LIMIT"] = "4 per minute"
    try:
        for _ in range(4):
            assert login(client, ADMIN_EMAIL, "wrong-password").status_code == 401
        refused = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed sign-in attempts" in refused.text
        # another email from the same address is not locked out by this one
        other = login(client, "someone@msp.example", "wrong-password")
        assert other.status_code == 401
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"


def test_repeated_failures_from_one_address_are_refused(app, client, admin):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "3 per minute"
    try:
        for number in range(3):
            assert login(client, f"guess{number}@msp.example", "nope-nope").status_code == 401
        assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429
    finally:
        app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "1000 per minute"


def test_successful_logins_are_not_counted(app, client, admin):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(4):
            assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
            client.post("/logout")
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
