"""The portal client against the sandbox portal over real HTTP: reading, paging and tokens.

Faults (retries, timeouts, bad bodies, rate limits) are in ``test_portal_client_faults.py``;
wire-level cases the sandbox cannot produce in ``test_portal_client_wire.py``.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from mspweb.portal import (
    BusinessPortalClient,
    ClientSettings,
    Company,
    CurrentUser,
    License,
    MspPortalClient,
    PortalAccessError,
    PortalAuthError,
    PortalNotFound,
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


def msp_client(
    sandbox,
    account: str = "northwind",
    settings: ClientSettings = FAST,
    password: str | None = None,
) -> MspPortalClient:
    """An MSP-portal client for a demo account of the sandbox."""
    demo = sandbox.accounts[account]
    return MspPortalClient(sandbox.msp_url, demo.username, password or demo.password, settings)


def business_client(sandbox, account: str = "northwind") -> BusinessPortalClient:
    """A business-portal client for a demo account of the sandbox."""
    demo = sandbox.accounts[account]
    return BusinessPortalClient(sandbox.business_url, demo.username, demo.password, FAST)


def new_customer_with_licenses(sandbox, count: int) -> str:
    """A new, empty customer under Northwind's root, given ``count`` licenses; its id."""
    root_id = sandbox.control.root()["id"]
    customer_id = sandbox.control.add_company(root_id, f"Paging Test {count} <&> GmbH")["id"]
    for _ in range(count):
        sandbox.control.add_license(customer_id)
    return customer_id


def test_current_user_names_the_msp_root(sandbox) -> None:
    """User/Current gives the account's root company with its entity type (1005 MSP)."""
    root = sandbox.control.root()
    with msp_client(sandbox) as client:
        user = client.current_user()
    assert isinstance(user, CurrentUser)
    assert (user.company_id, user.company_name, user.company_type) == (
        root["id"],
        "Northwind MSP",
        1005,
    )
    assert user.email == "msp@northwind.example"


def test_business_current_user_has_no_company_type(sandbox) -> None:
    """The business portal's User/Current has no entity type."""
    with business_client(sandbox, "tailspin") as client:
        user = client.current_user()
    assert user.company_name == "Tailspin Toys" and user.company_type is None


def test_company_tree_matches_the_portal(sandbox) -> None:
    """Walking Company/Children from the root finds every company of the tree, with access."""
    expected = {c["id"]: c for c in sandbox.control.companies("fabrikam")}
    with msp_client(sandbox, "fabrikam") as client:
        root = client.current_user().company_id
        found: dict[str, Company] = {}
        pending = [root]
        while pending:
            for child in client.company_children(pending.pop()):
                found[child.public_id] = child
                pending.append(child.public_id)
        detail = client.company_detail(root)
    assert set(found) | {root} == set(expected)
    assert all(found[cid].access == expected[cid]["access"] for cid in found)
    assert all(found[cid].name == expected[cid]["name"] for cid in found)
    assert detail.parent_id is None and detail.type == 1004 and detail.custom_identifier == "FAB"


def test_all_readable_licenses_are_listed_with_their_fields(sandbox) -> None:
    """Search/Licenses without a customer lists every readable license, parsed."""
    readable = {c["id"] for c in sandbox.control.companies("litware") if c["access"] != "NoAccess"}
    expected = {
        item["publicLicenseKey"]: item
        for item in sandbox.control.licenses("litware")
        if item["customerId"] in readable
    }
    with msp_client(sandbox, "litware") as client:
        listed = {item.public_key: item for item in client.licenses()}
        one = client.license_detail(next(iter(listed)))
    assert set(listed) == set(expected) and len(listed) == 6
    assert one == listed[one.public_key]
    for key, item in listed.items():
        assert isinstance(item, License)
        assert (item.quantity, item.usage, item.product_code) == (
            expected[key]["quantity"],
            expected[key]["usage"],
            expected[key]["productCode"],
        )
        assert item.customer_name == "Lucerne Publishing"
        assert item.last_update is not None and item.last_update.tzinfo is not None


@pytest.mark.parametrize(("count", "page_calls"), [(0, 1), (1, 1), (99, 1), (100, 1), (101, 2)])
def test_paging_yields_every_license_exactly_once(sandbox, count: int, page_calls: int) -> None:
    """0, 1, 99, 100 and 101 licenses: all listed once, in as few page calls as possible."""
    customer_id = new_customer_with_licenses(sandbox, count)
    expected = [
        item["publicLicenseKey"] for item in sandbox.control.licenses(company_id=customer_id)
    ]
    with msp_client(sandbox) as client:
        keys = [item.public_key for item in client.licenses(customer_id=customer_id)]
    assert sorted(keys) == sorted(expected) and len(set(keys)) == count
    assert sandbox.control.calls("Search/Licenses") == page_calls


def test_small_pages_stream_the_listing(sandbox) -> None:
    """With page_size 10, 25 licenses come in pages of 10, 10 and 5, fetched as consumed."""
    customer_id = new_customer_with_licenses(sandbox, 25)
    settings = dataclasses.replace(FAST, page_size=10)
    with msp_client(sandbox, settings=settings) as client:
        listing = client.licenses(customer_id=customer_id)
        first = [next(listing) for _ in range(10)]
        assert sandbox.control.calls("Search/Licenses") == 1
        rest = list(listing)
    assert len(first) + len(rest) == 25
    assert sandbox.control.calls("Search/Licenses") == 3


def test_keyword_filters_licenses(sandbox) -> None:
    """A keyword narrows the listing to the matching licenses."""
    customer_id = new_customer_with_licenses(sandbox, 2)
    key = sandbox.control.add_license(customer_id, product_code="ZZQ", product_name="Rare")[
        "publicLicenseKey"
    ]
    with msp_client(sandbox) as client:
        found = [item.public_key for item in client.licenses(customer_id, keyword="zzq")]
    assert found == [key]


def test_business_sites_and_licenses_with_allocations(sandbox) -> None:
    """Site/List and the business Search/Licenses, allocations adding up to the quantity."""
    business = sandbox.control.business("northwind")
    with business_client(sandbox) as client:
        sites = list(client.sites())
        licenses = list(client.licenses())
    assert [site.site_id for site in sites] == [s["siteId"] for s in business["sites"]]
    assert any(site.parent_site_id for site in sites)
    assert len(licenses) == len(sandbox.control.licenses("northwind", portal="business"))
    for item in licenses:
        assert item.allocations and item.customer_id is None
        assert sum(part.quantity for part in item.allocations) == item.quantity


def test_enums(sandbox) -> None:
    """The license-state and entity-type enums."""
    with msp_client(sandbox) as client:
        states = {item.id: item.name for item in client.license_states()}
        types = {item.id: item.name for item in client.entity_types()}
    assert states[1] == "Normal" and types[1007] == "Customer" and len(types) == 7


def test_no_read_access_is_portal_access_error(sandbox) -> None:
    """Licenses of a NoAccess company: 403 → PortalAccessError with the portal's message."""
    with msp_client(sandbox, "litware") as client:
        root = client.current_user().company_id
        with pytest.raises(PortalAccessError, match="No access") as raised:
            list(client.licenses(customer_id=root))
    assert raised.value.status == 403 and raised.value.call == "Search/Licenses"


def test_unknown_objects_are_portal_not_found(sandbox) -> None:
    """An unknown license key or a company outside the tree: 404 → PortalNotFound."""
    outside = sandbox.control.root("fabrikam")["id"]
    with msp_client(sandbox) as client:
        with pytest.raises(PortalNotFound):
            client.license_detail("NO-SUCH-KEY")
        with pytest.raises(PortalNotFound):
            client.company_detail(outside)
        with pytest.raises(PortalNotFound):
            list(client.company_children(outside))


def test_wrong_password_is_refused_without_echoing_it(sandbox) -> None:
    """Bad credentials at login: PortalAuthError saying so, never containing the password."""
    with (
        msp_client(sandbox, password="hunter2-wrong") as client,
        pytest.raises(PortalAuthError, match="rejected the username or password") as raised,
    ):
        client.current_user()
    assert "hunter2" not in str(raised.value)


def test_business_only_account_is_refused_by_the_msp_portal(sandbox) -> None:
    """Tailspin's credentials do not open the MSP portal (a mixed-account check, R03)."""
    with msp_client(sandbox, "tailspin") as client, pytest.raises(PortalAuthError):
        client.login()
    with business_client(sandbox, "tailspin") as client:
        client.login()
        assert client.stats.logins == 1


def test_token_expiring_while_paging_is_renewed_transparently(sandbox) -> None:
    """Tokens of 2 s, a listing read slowly over ~3 s: renewed on the way, nothing lost."""
    sandbox.control.set_token_lifetime(2)
    customer_id = new_customer_with_licenses(sandbox, 30)
    settings = dataclasses.replace(FAST, page_size=5)
    with msp_client(sandbox, settings=settings) as client:
        keys = []
        for item in client.licenses(customer_id=customer_id):
            keys.append(item.public_key)
            if len(keys) % 5 == 0:
                time.sleep(0.5)
    assert len(set(keys)) == 30
    assert client.stats.renewals >= 1 and client.stats.logins == 1


def test_401_after_silent_expiry_renews_and_retries(sandbox) -> None:
    """Token answers without expiresIn (client assumes 60 s) but tokens of 1 s: the 401 is
    recovered by Token/Renew and the call succeeds."""
    sandbox.control.settings(send_expires_in=False, token_lifetime=1)
    with msp_client(sandbox) as client:
        client.current_user()
        time.sleep(1.2)
        assert client.current_user().company_name == "Northwind MSP"
    assert client.stats.renewals == 1 and client.stats.logins == 1
    assert sandbox.control.calls("User/Current") == 3  # the 401, then the retry


def test_revoked_tokens_lead_to_a_new_login(sandbox) -> None:
    """Revoked access and refresh tokens: the renewal fails, a new login recovers."""
    with msp_client(sandbox) as client:
        client.current_user()
        sandbox.control.revoke_tokens("northwind")
        assert client.current_user().company_name == "Northwind MSP"
    assert client.stats.logins == 2 and client.stats.renewals == 0
    assert sandbox.control.calls("Token/Renew") == 1


def test_changed_password_fails_with_credentials_no_longer_valid(sandbox) -> None:
    """Password changed and tokens revoked mid-sync: "credentials no longer valid"."""
    with msp_client(sandbox) as client:
        client.current_user()
        sandbox.control.set_password("northwind", "changed-elsewhere")
        sandbox.control.revoke_tokens("northwind")
        with pytest.raises(PortalAuthError) as raised:
            client.current_user()
    assert str(raised.value) == "credentials no longer valid"
    assert "northwind" not in str(raised.value)


def test_call_counter_matches_the_portals_count(sandbox) -> None:
    """stats.calls counts every request the portal received, token calls included."""
    with msp_client(sandbox, "fabrikam") as client:
        root = client.current_user().company_id
        children = list(client.company_children(root))
        licenses = list(client.licenses())
    assert children and licenses
    assert client.stats.calls == sandbox.control.stats()["total"] == 4
    assert client.stats.retries == 0 and client.stats.by_status == {200: 4}
