"""Sessions that can be ended (issue 15, finding 1): sign-out, deactivation and "sign out
everywhere" end the session on the server, so a copied cookie opens nothing afterwards."""

from __future__ import annotations

import time

from mspweb.extensions import db
from mspweb.models import User
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, CSRFClient, login, make_user
from tests.page_helpers import make_account


def _cookie(client: CSRFClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _browser(app, cookie: str, agent: str = "Other-Agent/1.0") -> CSRFClient:
    """Another browser that carries a copy of `cookie` (the attacker's)."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    other.environ_base["HTTP_USER_AGENT"] = agent
    return other


def test_finding1_old_cookie_opens_nothing_after_sign_out(app, admin_client):
    account = make_account()
    copied = _cookie(admin_client)
    assert admin_client.post("/logout").status_code == 302
    thief = _browser(app, copied)
    page = thief.get("/users")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    changed = thief.post(f"/accounts/{account.id}/skip-setup-for-new", data={"enabled": "1"})
    assert changed.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.get(type(account), account.id).skip_setup_for_new is False


def test_finding1_sign_out_ends_every_session_of_the_user(app, admin, client):
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    laptop = app.test_client()
    login(laptop, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert laptop.get("/users").status_code == 200
    client.post("/logout")
    assert laptop.get("/users").status_code == 302


def test_finding1_deactivation_ends_the_users_sessions(app, admin_client):
    make_user("ops@msp.example", "operator-pass-1", "admin")
    ops = app.test_client()
    login(ops, "ops@msp.example", "operator-pass-1")
    assert ops.get("/users").status_code == 200
    user = db.session.query(User).filter_by(email="ops@msp.example").one()
    admin_client.post(f"/users/{user.id}/active", data={"active": "0"})
    assert ops.get("/users").status_code == 302


def test_session_id_is_rotated_at_sign_in(app, admin, client):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        first = session["sid"]
    client.post("/logout")
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    with client.session_transaction() as session:
        assert session["sid"] != first


def test_staff_sessions_end_after_the_absolute_lifetime(app, admin_client):
    app.config["STAFF_SESSION_HOURS"] = 1 / 3600  # one second
    try:
        admin_client.post("/logout")
        login(admin_client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert admin_client.get("/users").status_code == 200
        time.sleep(1.5)
        assert admin_client.get("/users").status_code == 302
    finally:
        app.config["STAFF_SESSION_HOURS"] = 12


def test_staff_sessions_end_after_the_idle_lifetime(app, admin_client):
    with admin_client.session_transaction() as session:
        session["last_active"] = time.time() - 61 * 60
    response = admin_client.get("/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "60 minutes without activity" in admin_client.get("/login").text


def test_list_of_own_sessions_and_end_this_session(app, admin, client):
    client.environ_base.update(HTTP_USER_AGENT="Laptop-Browser/2.0", REMOTE_ADDR="198.51.100.7")
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    phone = app.test_client()
    phone.environ_base.update(HTTP_USER_AGENT="Phone-Browser/9.1", REMOTE_ADDR="203.0.113.9")
    login(phone, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = client.get("/account/sessions")
    assert page.status_code == 200
    assert "Laptop-Browser/2.0" in page.text and "Phone-Browser/9.1" in page.text
    assert "203.0.113.9" in page.text and "this browser" in page.text
    with phone.session_transaction() as session:
        phone_sid = session["sid"]
    assert client.post(f"/account/sessions/{phone_sid}/end").status_code == 303
    assert phone.get("/users").status_code == 302
    assert client.get("/users").status_code == 200
    # someone else's session id is not ours to end
    other = make_user("ops@msp.example", "operator-pass-1", "admin")
    assert other is not None
    ops = app.test_client()
    login(ops, "ops@msp.example", "operator-pass-1")
    with ops.session_transaction() as session:
        ops_sid = session["sid"]
    assert client.post(f"/account/sessions/{ops_sid}/end").status_code == 404
    assert ops.get("/users").status_code == 200


def test_sign_out_everywhere_by_an_administrator(app, admin_client):
    other = make_user("ops@msp.example", "operator-pass-1", "admin")
    ops = app.test_client()
    login(ops, "ops@msp.example", "operator-pass-1")
    assert ops.get("/users").status_code == 200
    answer = admin_client.post(f"/security/users/{other.id}/sign-out")
    assert answer.status_code == 303
    assert ops.get("/users").status_code == 302
