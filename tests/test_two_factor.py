"""Two-factor sign-in (issue 15): TOTP enrolment with a QR code served here, ten one-time
recovery codes stored hashed, the sign-in's second step, and the staff requirement."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import RecoveryCode
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login, make_user


def _code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset)


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page.text).group(1)
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    wrong = client.post("/account/two-factor/enable", data={"code": "000000"})
    assert wrong.status_code == 422
    done = client.post("/account/two-factor/enable", data={"code": _code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", done.text)
    return secret, codes


def test_enrol_then_sign_in_needs_the_code(app, admin_client, client):
    secret, codes = _enrol(admin_client)
    assert len(codes) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashed, never in clear
    browser = app.test_client()
    first = login(browser, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert first.status_code == 302 and first.headers["Location"] == "/login/two-factor"
    assert browser.get("/users").status_code == 302  # not signed in yet
    assert browser.post("/login/two-factor", data={"code": "123456"}).status_code == 401
    # the code used at enrolment is spent; the next time step's code is fine
    next_code = _code(secret, 30)
    answer = browser.post("/login/two-factor", data={"code": next_code})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert browser.get("/users").status_code == 200
    replay = app.test_client()
    login(replay, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert replay.post("/login/two-factor", data={"code": next_code}).status_code == 401


def test_a_recovery_code_signs_in_once(app, admin_client):
    _secret, codes = _enrol(admin_client)
    for expected in (302, 401):
        browser = app.test_client()
        login(browser, ADMIN_EMAIL, ADMIN_PASSWORD)
        answer = browser.post("/login/two-factor", data={"code": codes[0].upper()})
        assert answer.status_code == expected


def test_staff_must_enrol_when_an_administrator_requires_it(app, admin_client):
    make_user("ops@msp.example", "operator-pass-1", "admin")
    assert admin_client.post("/security/two-factor", data={"required": "1"}).status_code == 303
    ops = app.test_client()
    assert login(ops, "ops@msp.example", "operator-pass-1").status_code == 302
    page = ops.get("/licenses")
    assert page.status_code == 302 and page.headers["Location"] == "/account/two-factor"
    _enrol(ops)
    assert ops.get("/licenses").status_code == 200
    refused = ops.post("/account/two-factor/disable", data={"code": "000000"})
    assert refused.status_code == 303


def test_has_fresh_second_factor_for_the_token_view(app, admin, admin_client):
    from flask import session
    from flask_login import login_user

    from mspweb.auth.twofactor import fresh_second_factor_required, has_fresh_second_factor

    @fresh_second_factor_required
    def create_token():
        return "created"

    with app.test_request_context("/tokens/new"):
        login_user(admin)
        assert has_fresh_second_factor() is False  # two-factor is off: never fresh
        assert create_token().headers["Location"] == "/account/two-factor"
    secret, _codes = _enrol(admin_client)
    with app.test_request_context("/tokens/new"):
        login_user(admin)
        session["second_factor_at"] = time.time() - 600  # ten minutes ago: stale
        answer = create_token()
        assert answer.headers["Location"].startswith("/account/two-factor/confirm?next=")
        session["second_factor_at"] = time.time()
        assert has_fresh_second_factor() is True and create_token() == "created"
    confirmed = admin_client.post(
        "/account/two-factor/confirm?next=/users", data={"code": _code(secret, 30)}
    )
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/users"
    with admin_client.session_transaction() as stored:
        assert time.time() - stored["second_factor_at"] < 5
