"""Portal client cases the sandbox cannot produce, against a scripted HTTP server on loopback.

Each test starts a real HTTP server on 127.0.0.1 whose answers the test scripts call by call
(a ``Retry-After`` HTTP date, a token answer without ``expiresIn``, listings whose pages do
not add up, a connection dropped mid-answer). The client is exercised over real sockets;
nothing of the client or of ``requests`` is replaced.
"""

from __future__ import annotations

import datetime
import email.utils
import time
from collections.abc import Callable
from typing import Any

import pytest

from mspweb.portal import (
    ClientSettings,
    MspPortalClient,
    PortalAuthError,
    PortalProtocolError,
    PortalUnavailable,
)
from tests.plugins.scripted_portal import (
    FAST,
    PASSWORD,
    Reply,
    ScriptedPortal,
    client_for,
    licenses_page,
    serve_list,
)


def test_retry_after_as_http_date_is_honoured(portal: ScriptedPortal) -> None:
    """A 429 whose Retry-After is an HTTP date two seconds ahead makes the client wait."""
    answers = iter(
        [
            Reply(
                429,
                {"code": 429, "subCode": 0, "message": "slow down"},
                {"Retry-After": email.utils.formatdate(time.time() + 2, usegmt=True)},
            ),
            Reply(body=[{"id": 1, "name": "Normal"}]),
        ]
    )
    portal.routes["Enum/LicenseStates"] = lambda body: next(answers)
    with client_for(portal) as client:
        started = time.monotonic()
        states = client.license_states()
        elapsed = time.monotonic() - started
    assert [state.name for state in states] == ["Normal"]
    assert elapsed >= 0.9  # HTTP dates have whole seconds: 1 to 2 s of waiting
    assert client.stats.waited_seconds >= 0.9
    assert client.stats.retries == 1


def test_retry_after_beyond_the_total_wait_gives_up_at_once(portal: ScriptedPortal) -> None:
    """Honouring Retry-After: 300 would exceed max_total_wait, so the client gives up now."""
    portal.routes["User/Current"] = lambda body: Reply(
        429, {"code": 429, "subCode": 0, "message": "slow down"}, {"Retry-After": "300"}
    )
    with client_for(portal) as client:
        started = time.monotonic()
        with pytest.raises(PortalUnavailable, match="429") as raised:
            client.current_user()
    assert time.monotonic() - started < 2
    assert "300" in str(raised.value)
    assert len(portal.calls("User/Current")) == 1


def test_answer_cut_off_mid_body_is_a_protocol_error(portal: ScriptedPortal) -> None:
    """A body shorter than its Content-Length is retried, then refused as cut off."""
    portal.routes["User/Current"] = lambda body: Reply(body={"id": "u" * 500}, action="cut")
    with client_for(portal) as client, pytest.raises(PortalProtocolError, match="cut off"):
        client.current_user()
    assert len(portal.calls("User/Current")) == FAST.max_attempts


def test_connection_dropped_without_answer_is_unavailable(portal: ScriptedPortal) -> None:
    """A connection reset before any answer is transient, then PortalUnavailable."""
    portal.routes["User/Current"] = lambda body: Reply(action="reset")
    with client_for(portal) as client, pytest.raises(PortalUnavailable, match="User/Current"):
        client.current_user()
    assert len(portal.calls("User/Current")) == FAST.max_attempts


def test_non_json_server_error_is_retried_like_500(portal: ScriptedPortal) -> None:
    """An HTML 502 from a proxy is transient: retried, and the retry succeeds."""
    answers = iter(
        [
            Reply(502, b"<html><body>Bad gateway</body></html>"),
            Reply(body=[{"id": 1007, "name": "Customer"}]),
        ]
    )
    portal.routes["Enum/EntityTypes"] = lambda body: next(answers)
    with client_for(portal) as client:
        assert client.entity_types()[0].id == 1007
    assert client.stats.retries == 1
    assert client.stats.by_status[502] == 1


def test_token_without_expires_in_lasts_sixty_seconds(portal: ScriptedPortal) -> None:
    """expiresIn absent: the token is used for further calls without renewing it."""
    portal.routes["Token/Get"] = lambda body: Reply(body=portal.token(expires_in=None))
    portal.routes["Enum/EntityTypes"] = lambda body: Reply(body=[])
    with client_for(portal) as client:
        for _ in range(3):
            client.entity_types()
    assert len(portal.calls("Token/Get")) == 1
    assert portal.calls("Token/Renew") == []
    assert all(
        seen.headers["Authorization"] == "Bearer access-1"
        for seen in portal.calls("Enum/EntityTypes")
    )


def test_short_lived_token_is_renewed_before_it_expires(portal: ScriptedPortal) -> None:
    """A token of 2 s is renewed with its refresh token before a call that comes late."""
    portal.routes["Token/Get"] = lambda body: Reply(body=portal.token(expires_in=2))
    portal.routes["Token/Renew"] = lambda body: Reply(body=portal.token(expires_in=2))
    portal.routes["Enum/EntityTypes"] = lambda body: Reply(body=[])
    with client_for(portal) as client:
        client.entity_types()
        time.sleep(1.1)
        client.entity_types()
    assert [seen.body for seen in portal.calls("Token/Renew")] == [{"refreshToken": "refresh-1"}]
    assert portal.calls("Enum/EntityTypes")[-1].headers["Authorization"] == "Bearer access-2"
    assert client.stats.renewals == 1 and client.stats.logins == 1


def test_token_still_refused_after_renewal_and_login_fails_the_sync(
    portal: ScriptedPortal,
) -> None:
    """401 → renew → 401 → log in again → 401: "credentials no longer valid", and no more."""
    portal.routes["User/Current"] = lambda body: Reply(
        401, {"code": 401, "subCode": 0, "message": "token invalid"}
    )
    with client_for(portal) as client, pytest.raises(PortalAuthError) as raised:
        client.current_user()
    assert str(raised.value) == "credentials no longer valid"
    assert len(portal.calls("User/Current")) == 3
    assert len(portal.calls("Token/Renew")) == 1
    assert len(portal.calls("Token/Get")) == 2
    assert client.stats.calls == 6


def test_wrong_token_answer_is_a_protocol_error_without_secrets(portal: ScriptedPortal) -> None:
    """A Token/Get answer without accessToken is refused, naming neither token nor password."""
    portal.routes["Token/Get"] = lambda body: Reply(body={"refreshToken": "refresh-XYZ"})
    with client_for(portal) as client, pytest.raises(PortalProtocolError) as raised:
        client.login()
    assert "accessToken" in str(raised.value)
    assert "refresh-XYZ" not in str(raised.value) and PASSWORD not in str(raised.value)


def test_listing_without_total_count_ends_on_an_empty_page(portal: ScriptedPortal) -> None:
    """Without totalCount, 100 items on pages of 100 need a second, empty page to end."""
    serve_list(portal, [f"K-{n}" for n in range(100)], lambda skip: None)
    with client_for(portal) as client:
        assert len(list(client.licenses())) == 100
    assert [seen.body["skip"] for seen in portal.calls("Search/Licenses")] == [0, 100]


def test_listing_with_total_count_stops_when_complete(portal: ScriptedPortal) -> None:
    """With totalCount, a full page that reaches it ends the listing without another call."""
    serve_list(portal, [f"K-{n}" for n in range(100)], lambda skip: 100)
    with client_for(portal) as client:
        assert len(list(client.licenses())) == 100
    assert len(portal.calls("Search/Licenses")) == 1


def test_no_such_page_past_the_end_ends_the_listing(portal: ScriptedPortal) -> None:
    """A 403 code 99/subCode 1 for a page past the end means the listing is over."""
    keys = [f"K-{n}" for n in range(4)]

    def route(body: Any) -> Reply:
        if body["skip"] >= len(keys):
            return Reply(403, {"code": 99, "subCode": 1, "message": "No such page."})
        return Reply(body=licenses_page(keys[body["skip"] : body["skip"] + body["take"]], None))

    portal.routes["Search/Licenses"] = route
    settings = ClientSettings(**{**FAST.__dict__, "page_size": 2})
    with client_for(portal, settings) as client:
        assert [item.public_key for item in client.licenses()] == keys


@pytest.mark.parametrize(
    ("case", "keys", "total"),
    [
        ("empty page before totalCount", [f"K-{n}" for n in range(100)], lambda skip: 150),
        ("short page before totalCount", [f"K-{n}" for n in range(120)], lambda skip: 150),
        (
            "list shrank below what was read",
            [f"K-{n}" for n in range(200)],
            lambda skip: 200 if skip == 0 else 50,
        ),
        ("item listed twice", [f"K-{n % 100}" for n in range(150)], lambda skip: 150),
    ],
)
def test_listing_that_does_not_add_up_is_refused(
    portal: ScriptedPortal, case: str, keys: list[str], total: Callable[[int], int | None]
) -> None:
    """A partial or shifted listing raises PortalProtocolError instead of looking complete."""
    serve_list(portal, keys, total)
    with client_for(portal) as client, pytest.raises(PortalProtocolError, match="Search/Licenses"):
        list(client.licenses())


def test_page_longer_than_take_is_refused(portal: ScriptedPortal) -> None:
    """A page with more items than asked for breaks the paging contract."""
    portal.routes["Search/Licenses"] = lambda body: Reply(
        body=licenses_page([f"K-{n}" for n in range(body["take"] + 1)], None)
    )
    with client_for(portal) as client, pytest.raises(PortalProtocolError, match="page of 100"):
        list(client.licenses())


def test_invalid_base_url_is_a_portal_error() -> None:
    """A base URL that is not http(s) fails as PortalUnavailable, not a requests exception."""
    with (
        MspPortalClient("portal.example/api", "ops", PASSWORD, FAST) as client,
        pytest.raises(PortalUnavailable, match="not a valid"),
    ):
        client.current_user()


def test_license_fields_parse_dates_and_ignore_unknown_fields(portal: ScriptedPortal) -> None:
    """Dates as dates or date-times, lastUpdate with or without an offset, extra fields ignored."""
    portal.routes["License/Detail"] = lambda body: Reply(
        body={
            "publicLicenseKey": body["publicLicenseKey"],
            "productCode": "EEA",
            "productName": "Endpoint <Antivirus> & Co",
            "quantity": 25,
            "usage": 30,
            "state": 4,
            "trial": True,
            "trialExpiration": "2026-12-31",
            "expiration": "2027-01-15T00:00:00Z",
            "lastUpdate": "2026-11-20T09:15:00+01:00",
            "customerId": None,
            "newField": [1, 2],
        }
    )
    with client_for(portal) as client:
        item = client.license_detail("3AB-7KD-X2P")
    assert item.public_key == "3AB-7KD-X2P" and item.usage > item.quantity
    assert item.trial_expiration == datetime.date(2026, 12, 31)
    assert item.expiration == datetime.date(2027, 1, 15)
    assert item.last_update == datetime.datetime(2026, 11, 20, 8, 15, tzinfo=datetime.UTC)
    assert item.customer_id is None and item.allocations == ()


def test_settings_from_environment() -> None:
    """PORTAL_* variables override the defaults; a bad value names its variable."""
    settings = ClientSettings.from_env(
        {
            "PORTAL_MAX_ATTEMPTS": "2",
            "PORTAL_READ_TIMEOUT": "7.5",
            "PORTAL_MAX_CALLS_PER_SECOND": "0",
        }
    )
    assert (settings.max_attempts, settings.read_timeout, settings.max_calls_per_second) == (
        2,
        7.5,
        0,
    )
    assert settings.connect_timeout == ClientSettings().connect_timeout
    with pytest.raises(ValueError, match="PORTAL_MAX_TOTAL_WAIT"):
        ClientSettings.from_env({"PORTAL_MAX_TOTAL_WAIT": "soon"})
