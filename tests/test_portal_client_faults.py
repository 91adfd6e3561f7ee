"""The portal client against a misbehaving sandbox: retries, timeouts, bad bodies, rate limits.

Faults are injected through the sandbox's admin endpoint; settings keep backoffs tiny so
the suite stays fast. Every failure must surface as a ``Portal*`` exception with a message a
person can act on, and a partial listing must never end quietly.
"""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from mspweb.portal import (
    ClientSettings,
    MspPortalClient,
    PortalError,
    PortalProtocolError,
    PortalUnavailable,
)

FAST = ClientSettings(
    connect_timeout=2,
    read_timeout=5,
    max_attempts=3,
    max_total_wait=10,
    backoff_base=0.01,
    backoff_max=0.05,
    max_calls_per_second=0,
)


def msp_client(sandbox, settings: ClientSettings = FAST) -> MspPortalClient:
    """An MSP-portal client for the main demo account."""
    return MspPortalClient(sandbox.msp_url, sandbox.main.username, sandbox.main.password, settings)


def test_429_retry_after_is_honoured(sandbox) -> None:
    """A 429 with Retry-After: 1 makes the client wait at least a second, then succeed."""
    sandbox.control.add_fault(
        kind="status", status=429, retry_after=1, path="User/Current", count=1
    )
    with msp_client(sandbox) as client:
        client.login()
        started = time.monotonic()
        user = client.current_user()
        elapsed = time.monotonic() - started
    assert user.company_name == "Northwind MSP"
    assert elapsed >= 1.0 and client.stats.waited_seconds >= 1.0
    assert client.stats.retries == 1 and client.stats.by_status[429] == 1


def test_server_errors_are_retried_until_they_pass(sandbox) -> None:
    """Two 500s then success, within max_attempts=3: the caller sees only the result."""
    sandbox.control.add_fault(kind="status", status=500, path="Enum/EntityTypes", count=2)
    with msp_client(sandbox) as client:
        assert len(client.entity_types()) == 7
    assert client.stats.retries == 2
    assert sandbox.control.calls("Enum/EntityTypes") == 3


@pytest.mark.parametrize("status", [500, 502, 429])
def test_persistent_errors_surface_as_unavailable(sandbox, status: int) -> None:
    """A status that keeps coming is tried max_attempts times, then PortalUnavailable."""
    sandbox.control.add_fault(kind="status", status=status, retry_after=0, path="Enum/EntityTypes")
    with msp_client(sandbox) as client, pytest.raises(PortalUnavailable) as raised:
        client.entity_types()
    assert str(status) in str(raised.value) and "Enum/EntityTypes" in str(raised.value)
    assert sandbox.control.calls("Enum/EntityTypes") == FAST.max_attempts


def test_maintenance_says_so(sandbox) -> None:
    """503 code 99/subCode 2, persistent: "the portal is under maintenance"."""
    sandbox.control.add_fault(kind="status", status=503, path="Token/Get")
    with msp_client(sandbox) as client, pytest.raises(PortalUnavailable, match="under maintenance"):
        client.current_user()


def test_failure_on_the_last_page_never_looks_complete(sandbox) -> None:
    """Errors on the last page of a listing raise after the earlier pages, not a quiet end."""
    sandbox.control.add_fault(
        kind="status", status=502, path="Search/Licenses", last_page_only=True
    )
    settings = dataclasses.replace(FAST, page_size=10)
    received = []
    with msp_client(sandbox, settings) as client, pytest.raises(PortalUnavailable):
        for item in client.licenses():
            received.append(item)
    assert received and len(received) % 10 == 0


@pytest.mark.parametrize(
    ("kind", "match"), [("non_json", "not valid JSON"), ("truncated", "cut off")]
)
def test_bodies_that_are_not_json_are_protocol_errors(sandbox, kind: str, match: str) -> None:
    """An HTML page or a body cut short, every time: PortalProtocolError naming the call."""
    sandbox.control.add_fault(kind=kind, path="Search/Licenses")
    with msp_client(sandbox) as client, pytest.raises(PortalProtocolError, match=match) as raised:
        list(client.licenses())
    assert "Search/Licenses" in str(raised.value)


def test_a_single_bad_body_is_retried(sandbox) -> None:
    """One HTML answer among good ones is transient: the retry gets the real listing."""
    sandbox.control.add_fault(kind="non_json", path="Company/Children", count=1)
    with msp_client(sandbox) as client:
        root = client.current_user().company_id
        assert list(client.company_children(root))
    assert client.stats.retries == 1


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("Search/Licenses", lambda client: list(client.licenses())),
        (
            "Company/Children",
            lambda client: list(client.company_children(client.current_user().company_id)),
        ),
        ("Company/Detail", lambda client: client.company_detail(client.current_user().company_id)),
        ("User/Current", lambda client: client.current_user()),
        (
            "License/Detail",
            lambda client: client.license_detail(next(client.licenses()).public_key),
        ),
        ("Enum/LicenseStates", lambda client: client.license_states()),
        ("Token/Get", lambda client: client.login()),
    ],
)
def test_wrong_shape_is_a_protocol_error_naming_the_call(sandbox, path: str, action) -> None:
    """JSON of the wrong shape is refused at once (no retry) with a message naming the call."""
    sandbox.control.add_fault(kind="wrong_shape", path=path)
    with msp_client(sandbox) as client, pytest.raises(PortalProtocolError) as raised:
        action(client)
    assert path in str(raised.value) and "wrong shape" in str(raised.value)
    assert sandbox.control.calls(path) == 1


def test_read_timeout_is_unavailable(sandbox) -> None:
    """A portal slower than read_timeout: retried, then PortalUnavailable "timed out"."""
    sandbox.control.add_fault(kind="slow", delay=1.0, path="User/Current")
    settings = dataclasses.replace(FAST, read_timeout=0.3, max_attempts=2)
    with (
        msp_client(sandbox, settings) as client,
        pytest.raises(PortalUnavailable, match="timed out"),
    ):
        client.current_user()
    assert sandbox.control.calls("User/Current") == 2


def test_connection_reset_is_unavailable(sandbox) -> None:
    """A portal that drops the connection without answering: PortalUnavailable."""
    sandbox.control.add_fault(kind="reset", path="User/Current")
    with msp_client(sandbox) as client, pytest.raises(PortalUnavailable, match="User/Current"):
        client.current_user()


def test_connection_refused_is_unavailable() -> None:
    """Nothing listening on the port: PortalUnavailable "could not connect to <url>"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/msp"
    with (
        MspPortalClient(url, "ops", "pw", FAST) as client,
        pytest.raises(PortalUnavailable, match="could not connect") as raised,
    ):
        client.current_user()
    assert url in str(raised.value) and "refused" in str(raised.value)
    assert client.stats.calls == FAST.max_attempts


def test_client_rate_limit_spaces_calls(sandbox) -> None:
    """At 5 calls/s, ten calls take at least 1.8 s, and the wait is counted."""
    settings = dataclasses.replace(FAST, max_calls_per_second=5)
    with msp_client(sandbox, settings) as client:
        started = time.monotonic()
        client.login()
        for _ in range(9):
            client.license_states()
        elapsed = time.monotonic() - started
    assert client.stats.calls == 10
    assert elapsed >= 1.75 and client.stats.waited_seconds >= 1.5


def test_portal_rate_limit_is_ridden_out(sandbox) -> None:
    """A portal allowing 4 calls/s answers 429 to an unthrottled client, which waits it out."""
    sandbox.control.set_rate_limit(4)
    with msp_client(sandbox) as client:
        for _ in range(6):
            client.license_states()
    assert client.stats.by_status.get(429, 0) >= 1
    assert client.stats.waited_seconds >= 1.0


def test_errors_are_portal_errors_without_secrets(sandbox) -> None:
    """Whatever the fault, only PortalError subclasses escape, never holding the password."""
    password = sandbox.main.password
    for kind in ("non_json", "truncated", "wrong_shape", "reset"):
        sandbox.control.clear_faults()
        sandbox.control.add_fault(kind=kind, path="Token/Get")
        with msp_client(sandbox) as client, pytest.raises(PortalError) as raised:
            client.current_user()
        assert password not in str(raised.value) and "Bearer" not in str(raised.value)
