"""Fault rules, rate limits and token trouble, as a portal client meets them over HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from mspweb.sandbox.control import SandboxControlError
from tests.plugins.sandbox import SANDBOX_LICENSES


def _search(sandbox, headers, skip=0, take=100, portal="msp") -> requests.Response:
    return sandbox.post(portal, "Search/Licenses", {"skip": skip, "take": take}, headers)


def test_status_fault_fires_count_times_then_stops(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(kind="status", status=500, path="Search/Licenses", count=2)
    assert [_search(sandbox, headers).status_code for _ in range(3)] == [500, 500, 200]
    assert sandbox.control.faults() == []


def test_503_fault_answers_the_maintenance_body(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(kind="status", status=503, count=1)
    response = sandbox.get("msp", "User/Current", headers)
    assert response.status_code == 503
    assert response.json()["code"] == 99 and response.json()["subCode"] == 2
    assert "maintenance" in response.json()["message"]


def test_429_and_502_faults(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(kind="status", status=429, count=1)
    sandbox.control.add_fault(kind="status", status=429, retry_after=3, count=1)
    sandbox.control.add_fault(kind="status", status=502, count=1)
    first, second, third = (_search(sandbox, headers) for _ in range(3))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert (second.status_code, second.headers["Retry-After"]) == (429, "3")
    assert third.status_code == 502 and third.json()["code"] == 502


def test_slow_fault_delays_the_real_answer(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(kind="slow", delay=0.3, count=1)
    started = time.perf_counter()
    response = _search(sandbox, headers)
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200 and response.json()["totalCount"] == SANDBOX_LICENSES


def test_non_json_and_wrong_shape_faults(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(kind="non_json", count=1)
    sandbox.control.add_fault(kind="wrong_shape", count=1)
    html = _search(sandbox, headers)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        html.json()
    wrong = _search(sandbox, headers)
    assert wrong.status_code == 200 and not isinstance(wrong.json()["search"], list)


def test_truncated_and_reset_faults_break_the_connection(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(kind="truncated", count=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _search(sandbox, headers)
    sandbox.control.add_fault(kind="reset", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        _search(sandbox, headers)
    assert _search(sandbox, headers).status_code == 200


def test_fault_matches_portal_path_and_skips_the_first_calls(sandbox):
    msp, business = sandbox.login(), sandbox.login(portal="business")
    sandbox.control.add_fault(
        kind="status", status=500, portal="business", path="Search/Licenses", after=1
    )
    assert _search(sandbox, msp).status_code == 200
    assert sandbox.post("business", "Site/List", {}, business).status_code == 200
    statuses = [_search(sandbox, business, portal="business").status_code for _ in range(3)]
    assert statuses == [200, 500, 500]  # count null: until cleared
    sandbox.control.clear_faults()
    assert _search(sandbox, business, portal="business").status_code == 200


def test_last_page_only_fault(sandbox):
    headers = sandbox.login()
    sandbox.control.add_fault(
        kind="status", status=500, path="Search/Licenses", last_page_only=True, count=1
    )
    statuses = [_search(sandbox, headers, skip, 25).status_code for skip in (0, 25, 50, 50)]
    assert statuses == [200, 200, 500, 200]


def test_invalid_fault_rule_is_refused(sandbox):
    with pytest.raises(SandboxControlError, match="kind"):
        sandbox.control.add_fault(kind="explode")
    with pytest.raises(SandboxControlError, match="status"):
        sandbox.control.add_fault(kind="status", status=200)


def test_rate_limit_answers_429_with_retry_after_per_credential(sandbox):
    headers = sandbox.login()
    other = sandbox.login("fabrikam")
    sandbox.control.set_rate_limit(3)
    statuses = [_search(sandbox, headers).status_code for _ in range(3)]
    limited = _search(sandbox, headers)
    assert statuses == [200, 200, 200] and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["code"] == 429
    assert _search(sandbox, other).status_code == 200
    time.sleep(1.05)
    assert _search(sandbox, headers).status_code == 200


def test_expired_token_answers_401_and_can_be_renewed(sandbox):
    sandbox.control.set_token_lifetime(1)
    demo = sandbox.main
    tokens = sandbox.post(
        "msp", "Token/Get", {"username": demo.username, "password": demo.password}
    ).json()
    assert tokens["expiresIn"] == 1
    headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
    assert sandbox.get("msp", "User/Current", headers).status_code == 200
    time.sleep(1.05)
    assert sandbox.get("msp", "User/Current", headers).status_code == 401
    renewed = sandbox.post("msp", "Token/Renew", {"refreshToken": tokens["refreshToken"]})
    assert renewed.status_code == 200


def test_revoked_tokens_and_changed_password(sandbox):
    demo = sandbox.main
    tokens = sandbox.post(
        "msp", "Token/Get", {"username": demo.username, "password": demo.password}
    ).json()
    headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
    assert sandbox.control.revoke_tokens("northwind")["revoked"] == 2
    assert sandbox.get("msp", "User/Current", headers).status_code == 401
    renewed = sandbox.post("msp", "Token/Renew", {"refreshToken": tokens["refreshToken"]})
    assert renewed.status_code == 401
    sandbox.control.set_password(demo.username, "changed")
    old = {"username": demo.username, "password": demo.password}
    assert sandbox.post("msp", "Token/Get", old).status_code == 401
    new = {"username": demo.username, "password": "changed"}
    assert sandbox.post("msp", "Token/Get", new).status_code == 200


def test_token_answers_can_omit_expires_in(sandbox):
    sandbox.control.settings(send_expires_in=False)
    demo = sandbox.main
    tokens = sandbox.post(
        "msp", "Token/Get", {"username": demo.username, "password": demo.password}
    ).json()
    assert "expiresIn" not in tokens and tokens["accessToken"]
