"""The sandbox's business portal over real HTTP: sites, licenses and their allocations."""

from __future__ import annotations


def test_r03_mixed_account_opens_both_portals(sandbox):
    msp = sandbox.get("msp", "User/Current", sandbox.login(portal="msp")).json()
    business = sandbox.get("business", "User/Current", sandbox.login(portal="business")).json()
    assert business["email"] == msp["email"] == sandbox.main.username
    assert business["company"]["name"] == "Northwind MSP"
    assert set(business["company"]) == {"companyId", "name"}


def test_msp_only_credentials_are_refused_by_the_business_portal(sandbox):
    demo = sandbox.accounts["fabrikam"]
    response = sandbox.post(
        "business", "Token/Get", {"username": demo.username, "password": demo.password}
    )
    assert response.status_code == 401 and response.json()["code"] == 401


def test_site_list_is_paged(sandbox):
    headers = sandbox.login(portal="business")
    first = sandbox.post("business", "Site/List", {"skip": 0, "take": 3}, headers).json()
    rest = sandbox.post("business", "Site/List", {"skip": 3, "take": 3}, headers).json()
    assert first["totalCount"] == rest["totalCount"] == 4
    assert [len(first["sites"]), len(rest["sites"])] == [3, 1]
    names = {site["name"] for site in first["sites"] + rest["sites"]}
    assert {"Branch Vienna", "Branch Graz", "HQ Linz"} <= names
    assert set(first["sites"][0]) == {"siteId", "name", "parentSiteId"}


def test_r05_licenses_carry_allocations_that_add_up(sandbox):
    headers = sandbox.login(portal="business")
    sites = sandbox.post("business", "Site/List", {}, headers).json()["sites"]
    body = sandbox.post("business", "Search/Licenses", {"skip": 0, "take": 100}, headers).json()
    assert body["totalCount"] == len(body["search"]) > 0
    site_ids = {site["siteId"] for site in sites} | {None}
    for license_ in body["search"]:
        assert "customerId" not in license_ and "customerName" not in license_
        allocations = license_["allocations"]
        assert sum(part["quantity"] for part in allocations) == license_["quantity"]
        assert {part["siteId"] for part in allocations} <= site_ids
    held = {part["siteId"] for lic in body["search"] for part in lic["allocations"]}
    assert None in held and len(held) > 2


def test_business_licenses_are_paged_and_validated(sandbox):
    headers = sandbox.login("tailspin", portal="business")
    page = sandbox.post("business", "Search/Licenses", {"skip": 10, "take": 5}, headers).json()
    assert page["totalCount"] == 12 and len(page["search"]) == 2
    for paging in ({"take": 0}, {"take": 101}, {"skip": -1}):
        response = sandbox.post("business", "Search/Licenses", paging, headers)
        assert response.status_code == 400


def test_business_only_account_and_token_renewal(sandbox):
    demo = sandbox.accounts["tailspin"]
    tokens = sandbox.post(
        "business", "Token/Get", {"username": demo.username, "password": demo.password}
    ).json()
    renewed = sandbox.post("business", "Token/Renew", {"refreshToken": tokens["refreshToken"]})
    headers = {"Authorization": f"Bearer {renewed.json()['accessToken']}"}
    body = sandbox.get("business", "User/Current", headers).json()
    assert body["company"]["name"] == "Tailspin Toys"
    assert sandbox.get("business", "User/Current").status_code == 401
