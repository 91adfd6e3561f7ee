"""The sandbox's MSP portal over real HTTP: every endpoint and error of docs/portal-api.md."""

from __future__ import annotations

import requests

from tests.plugins.sandbox import SANDBOX_COMPANIES, SANDBOX_LICENSES


def _error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "subCode", "message"} and body["message"]
    return body


def _all_licenses(sandbox, headers, **filters) -> list[dict]:
    found, skip = [], 0
    while True:
        body = sandbox.post(
            "msp",
            "Search/Licenses",
            {"keyword": "", "customerId": None, "skip": skip, "take": 100, **filters},
            headers,
        ).json()
        found += body["search"]
        if len(body["search"]) < 100:
            return found
        skip += 100


def test_token_get_answers_a_token_pair(sandbox):
    demo = sandbox.main
    body = sandbox.post(
        "msp", "Token/Get", {"username": demo.username, "password": demo.password}
    ).json()
    assert set(body) == {"accessToken", "refreshToken", "expiresIn"}
    assert body["expiresIn"] == 3600


def test_bad_credentials_answer_401(sandbox):
    for credentials in (
        {"username": sandbox.main.username, "password": "wrong"},
        {"username": "nobody@example.com", "password": "x"},
        {"username": "business@tailspin.example", "password": "tailspin"},
    ):
        _error(sandbox.post("msp", "Token/Get", credentials), 401)


def test_missing_or_malformed_body_answers_400(sandbox):
    headers = sandbox.login()
    url = f"{sandbox.msp_url}/Company/Children"
    _error(requests.post(url, headers=headers, timeout=5), 400)
    _error(requests.post(url, data="{not json", headers=headers, timeout=5), 400)
    _error(requests.post(url, json=[1, 2], headers=headers, timeout=5), 400)
    _error(sandbox.post("msp", "Token/Get", {"username": "x"}), 400)


def test_renew_gives_a_new_token_and_refresh_tokens_are_single_use(sandbox):
    demo = sandbox.main
    first = sandbox.post(
        "msp", "Token/Get", {"username": demo.username, "password": demo.password}
    ).json()
    renewed = sandbox.post("msp", "Token/Renew", {"refreshToken": first["refreshToken"]})
    assert renewed.status_code == 200
    headers = {"Authorization": f"Bearer {renewed.json()['accessToken']}"}
    assert sandbox.get("msp", "User/Current", headers).status_code == 200
    _error(sandbox.post("msp", "Token/Renew", {"refreshToken": first["refreshToken"]}), 401)
    _error(sandbox.post("msp", "Token/Renew", {"refreshToken": "made-up"}), 401)


def test_bearer_token_only_in_the_authorization_header(sandbox):
    token = sandbox.login()["Authorization"].split()[1]
    _error(sandbox.get("msp", "User/Current"), 401)
    _error(requests.get(f"{sandbox.msp_url}/User/Current?access_token={token}", timeout=5), 401)
    _error(sandbox.get("msp", "User/Current", {"Authorization": token}), 401)
    _error(sandbox.get("msp", "User/Current", {"Authorization": "Bearer nope"}), 401)


def test_tokens_are_per_portal(sandbox):
    _error(sandbox.get("msp", "User/Current", sandbox.login(portal="business")), 401)


def test_user_current_names_the_root_company(sandbox):
    body = sandbox.get("msp", "User/Current", sandbox.login()).json()
    assert body["email"] == sandbox.main.username
    assert body["company"]["name"] == "Northwind MSP" and body["company"]["type"] == 1005
    assert {"id", "firstName", "lastName"} <= set(body)


def test_children_are_paged_in_a_stable_order(sandbox):
    headers = sandbox.login()
    root_id = sandbox.control.root()["id"]
    pages = [
        sandbox.post(
            "msp", "Company/Children", {"companyId": root_id, "skip": skip, "take": 5}, headers
        ).json()
        for skip in (0, 5, 10)
    ]
    assert [p["totalCount"] for p in pages] == [SANDBOX_COMPANIES - 1] * 3
    assert [len(p["companies"]) for p in pages] == [5, 5, 1]  # the last page is shorter
    child = pages[0]["companies"][0]
    assert set(child) == {"publicId", "name", "type", "status", "email", "access"}
    again = sandbox.post("msp", "Company/Children", {"companyId": root_id}, headers).json()
    ids = [c["publicId"] for p in pages for c in p["companies"]]
    assert [c["publicId"] for c in again["companies"]] == ids


def test_take_or_skip_out_of_range_answers_400(sandbox):
    headers = sandbox.login()
    root_id = sandbox.control.root()["id"]
    for paging in ({"take": 0}, {"take": 101}, {"skip": -1}, {"take": "5"}, {"skip": 1.5}):
        _error(
            sandbox.post("msp", "Company/Children", {"companyId": root_id, **paging}, headers), 400
        )
        _error(sandbox.post("msp", "Search/Licenses", paging, headers), 400)


def test_company_outside_the_tree_answers_404(sandbox):
    headers = sandbox.login()
    foreign = sandbox.control.root("fabrikam")["id"]
    _error(sandbox.post("msp", "Company/Children", {"companyId": foreign}, headers), 404)
    _error(sandbox.post("msp", "Company/Detail", {"companyId": foreign}, headers), 404)
    _error(sandbox.post("msp", "Search/Licenses", {"customerId": foreign}, headers), 404)
    _error(sandbox.post("msp", "Company/Detail", {"companyId": "no-such-id"}, headers), 404)


def test_company_detail_of_root_and_child(sandbox):
    headers = sandbox.login()
    root, child = sandbox.control.companies()[:2]
    detail = sandbox.post("msp", "Company/Detail", {"companyId": root["id"]}, headers).json()
    assert detail["parentId"] is None and detail["access"] == "Write"
    assert set(detail) == {
        "id",
        "name",
        "type",
        "status",
        "email",
        "parentId",
        "customIdentifier",
        "access",
    }
    detail = sandbox.post("msp", "Company/Detail", {"companyId": child["id"]}, headers).json()
    assert detail["parentId"] == root["id"] and detail["name"] == child["name"]


def test_search_licenses_pages_through_every_license_once(sandbox):
    headers = sandbox.login()
    first = sandbox.post("msp", "Search/Licenses", {"skip": 0, "take": 25}, headers).json()
    assert first["totalCount"] == SANDBOX_LICENSES and len(first["search"]) == 25
    licenses = _all_licenses(sandbox, headers)
    assert len({lic["publicLicenseKey"] for lic in licenses}) == SANDBOX_LICENSES
    assert set(licenses[0]) == {
        "publicLicenseKey",
        "customerId",
        "customerName",
        "productCode",
        "productName",
        "quantity",
        "usage",
        "state",
        "trial",
        "trialExpiration",
        "expiration",
        "lastUpdate",
    }
    assert _all_licenses(sandbox, headers) == licenses  # stable order


def test_search_licenses_of_one_company_and_by_keyword(sandbox):
    headers = sandbox.login()
    company = next(c for c in sandbox.control.companies()[1:] if c["licenseCount"])
    own = _all_licenses(sandbox, headers, customerId=company["id"])
    assert len(own) == company["licenseCount"]
    assert {lic["customerName"] for lic in own} == {company["name"]}
    key = own[0]["publicLicenseKey"]
    assert [
        lic["publicLicenseKey"] for lic in _all_licenses(sandbox, headers, keyword=key.lower())
    ] == [key]
    code = own[0]["productCode"]
    assert all(
        code in (lic["productCode"] + lic["productName"])
        for lic in _all_licenses(sandbox, headers, keyword=code)
    )


def test_r02_no_read_access_lists_nothing_and_answers_403(sandbox):
    headers = sandbox.login("adatum")
    body = sandbox.post("msp", "Search/Licenses", {"customerId": None}, headers).json()
    assert body == {"search": [], "totalCount": 0}
    customer = sandbox.control.companies("adatum")[1]
    error = _error(
        sandbox.post("msp", "Search/Licenses", {"customerId": customer["id"]}, headers), 403
    )
    assert (error["code"], error["subCode"]) == (99, 1)
    key = sandbox.control.licenses(company_id=customer["id"])[0]["publicLicenseKey"]
    _error(sandbox.post("msp", "License/Detail", {"publicLicenseKey": key}, headers), 403)
    children = sandbox.post(
        "msp", "Company/Children", {"companyId": customer["parentId"]}, headers
    ).json()
    assert {c["access"] for c in children["companies"]} == {"NoAccess"}  # structure visible


def test_r02_single_readable_customer(sandbox):
    headers = sandbox.login("litware")
    readable = [c for c in sandbox.control.companies("litware") if c["access"] != "NoAccess"]
    assert len(readable) == 1
    licenses = _all_licenses(sandbox, headers)
    assert {lic["customerId"] for lic in licenses} == {readable[0]["id"]}
    root = sandbox.control.root("litware")
    detail = sandbox.post("msp", "Company/Detail", {"companyId": root["id"]}, headers).json()
    assert detail["access"] == "NoAccess"


def test_license_detail(sandbox):
    headers = sandbox.login()
    license_ = sandbox.control.licenses()[0]
    key = license_["publicLicenseKey"]
    assert (
        sandbox.post("msp", "License/Detail", {"publicLicenseKey": key}, headers).json() == license_
    )
    _error(sandbox.post("msp", "License/Detail", {"publicLicenseKey": "ZZZ-ZZZ-ZZZ"}, headers), 404)
    foreign = sandbox.control.licenses("fabrikam")[0]["publicLicenseKey"]
    _error(sandbox.post("msp", "License/Detail", {"publicLicenseKey": foreign}, headers), 404)


def test_enums(sandbox):
    headers = sandbox.login()
    states = sandbox.get("msp", "Enum/LicenseStates", headers).json()
    assert {s["id"]: s["name"] for s in states}[3] == "Suspended"
    types = sandbox.get("msp", "Enum/EntityTypes", headers).json()
    assert {t["id"] for t in types} == set(range(1001, 1008))


def test_r01_fixtures_manager_and_distributor_roots(sandbox):
    fabrikam = sandbox.get("msp", "User/Current", sandbox.login("fabrikam")).json()
    assert fabrikam["company"]["type"] == 1004
    types = [c["type"] for c in sandbox.control.companies("fabrikam")]
    assert types.count(1006) == 4 and types.count(1007) == 23
    contoso = sandbox.get("msp", "User/Current", sandbox.login("contoso")).json()
    assert contoso["company"]["type"] == 1002


def test_page_past_the_end_is_empty_or_forbidden(sandbox):
    headers = sandbox.login()
    past = {"skip": SANDBOX_LICENSES, "take": 10}
    assert sandbox.post("msp", "Search/Licenses", past, headers).json()["search"] == []
    sandbox.control.settings(past_end="forbidden")
    error = _error(sandbox.post("msp", "Search/Licenses", past, headers), 403)
    assert (error["code"], error["subCode"]) == (99, 1)


def test_unknown_path_and_wrong_method_answer_json_errors(sandbox):
    _error(sandbox.post("msp", "No/Such/Call", {}), 404)
    _error(sandbox.post("msp", "User/Current", {}), 405)
