"""The sandbox's admin endpoint: mutations the console must pick up, stats, reset, and serving."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from mspweb.sandbox import SandboxConfig, create_app
from mspweb.sandbox.server import run_in_thread


def _children(sandbox, headers, company_id) -> list[dict]:
    return sandbox.post("msp", "Company/Children", {"companyId": company_id}, headers).json()[
        "companies"
    ]


def _licenses_of(sandbox, headers, company_id) -> list[dict]:
    return sandbox.post("msp", "Search/Licenses", {"customerId": company_id}, headers).json()[
        "search"
    ]


@pytest.fixture
def small_server(monkeypatch):
    """A second, tiny sandbox with the default config (admin off)."""
    monkeypatch.delenv("SANDBOX_ADMIN", raising=False)
    server = run_in_thread(create_app(SandboxConfig(companies=3, licenses=5)))
    yield server
    server.stop()


def test_admin_is_off_by_default(small_server, monkeypatch):
    for path in ("/_sandbox/", "/_sandbox/stats", "/_sandbox/faults"):
        assert requests.get(small_server.url + path, timeout=5).status_code == 404
    monkeypatch.setenv("SANDBOX_ADMIN", "1")
    assert (
        create_app(SandboxConfig(companies=2, licenses=1))
        .test_client()
        .get("/_sandbox/stats")
        .status_code
        == 200
    )


def test_faults_given_at_start_apply():
    app = create_app(
        SandboxConfig(
            companies=2,
            licenses=1,
            faults=[{"kind": "status", "status": 503, "path": "Token/Get", "count": 1}],
        )
    )
    client = app.test_client()
    credentials = {"username": "msp@northwind.example", "password": "northwind"}
    assert client.post("/msp/Token/Get", json=credentials).status_code == 503
    assert client.post("/msp/Token/Get", json=credentials).status_code == 200


def test_r09_rename_company_shows_the_new_name(sandbox):
    headers = sandbox.login()
    company = next(c for c in sandbox.control.companies()[1:] if c["licenseCount"])
    assert sandbox.control.rename_company(company["id"], "Renamed & Co") == {"id": company["id"]}
    root_id = sandbox.control.root()["id"]
    assert "Renamed & Co" in {c["name"] for c in _children(sandbox, headers, root_id)}
    assert {lic["customerName"] for lic in _licenses_of(sandbox, headers, company["id"])} == {
        "Renamed & Co"
    }


def test_r08_added_company_and_license_appear(sandbox):
    headers = sandbox.login()
    root_id = sandbox.control.root()["id"]
    before = sandbox.post("msp", "Search/Licenses", {}, headers).json()["totalCount"]
    new_id = sandbox.control.add_company(root_id, "Brand New GmbH")["id"]
    assert _children(sandbox, headers, root_id)[-1]["publicId"] == new_id
    assert _licenses_of(sandbox, headers, new_id) == []
    key = sandbox.control.add_license(new_id, product_code="EES", quantity=7, usage=9, state=4)[
        "publicLicenseKey"
    ]
    added = _licenses_of(sandbox, headers, new_id)
    assert [(lic["publicLicenseKey"], lic["productName"], lic["usage"]) for lic in added] == [
        (key, "ESET Endpoint Security", 9)
    ]
    after = sandbox.post("msp", "Search/Licenses", {}, headers).json()["totalCount"]
    assert after == before + 1


def test_r20_removed_company_and_its_licenses_disappear(sandbox):
    headers = sandbox.login()
    root_id = sandbox.control.root()["id"]
    company = next(c for c in sandbox.control.companies()[1:] if c["licenseCount"])
    result = sandbox.control.remove_company(company["id"])
    assert result["removed"] == [company["id"]]
    assert len(result["licensesRemoved"]) == company["licenseCount"]
    assert company["id"] not in {c["publicId"] for c in _children(sandbox, headers, root_id)}
    detail = sandbox.post("msp", "Company/Detail", {"companyId": company["id"]}, headers)
    assert detail.status_code == 404
    keys = {
        lic["publicLicenseKey"]
        for lic in sandbox.post("msp", "Search/Licenses", {}, headers).json()["search"]
    }
    assert keys.isdisjoint(result["licensesRemoved"])


def test_change_license_usage_quantity_and_state(sandbox):
    headers = sandbox.login()
    key = sandbox.control.licenses()[0]["publicLicenseKey"]
    sandbox.control.set_license(key, usage=99, quantity=50, state=3)
    detail = sandbox.post("msp", "License/Detail", {"publicLicenseKey": key}, headers).json()
    assert (detail["usage"], detail["quantity"], detail["state"]) == (99, 50, 3)


def test_business_license_mutations_keep_allocations_adding_up(sandbox):
    headers = sandbox.login(portal="business")
    business = sandbox.control.business()
    vienna = next(s["siteId"] for s in business["sites"] if s["name"] == "Branch Vienna")
    key = sandbox.control.add_license(
        business_id=business["companyId"],
        allocations=[
            {"siteId": vienna, "quantity": 6, "usage": 2},
            {"siteId": None, "quantity": 4, "usage": 1},
        ],
    )["publicLicenseKey"]
    sandbox.control.set_license(key, quantity=15)
    found = {
        lic["publicLicenseKey"]: lic
        for lic in sandbox.post("business", "Search/Licenses", {}, headers).json()["search"]
    }
    assert found[key]["quantity"] == 15
    assert sum(part["quantity"] for part in found[key]["allocations"]) == 15
    site_id = sandbox.control.add_site(business["companyId"], "Branch Linz")["siteId"]
    sites = sandbox.post("business", "Site/List", {}, headers).json()["sites"]
    assert site_id in {site["siteId"] for site in sites}


def test_mutation_errors_are_refused(sandbox):
    from mspweb.sandbox.control import SandboxControlError

    with pytest.raises(SandboxControlError, match="404"):
        sandbox.control.rename_company("no-such-id", "x")
    with pytest.raises(SandboxControlError, match="400"):
        sandbox.control.add_license(sandbox.control.root()["id"], colour="red")


def test_stats_count_calls_per_endpoint(sandbox):
    headers = sandbox.login()
    for _ in range(2):
        sandbox.post("msp", "Search/Licenses", {}, headers)
    assert sandbox.control.calls("Search/Licenses") == 2
    assert sandbox.control.stats()["calls"]["msp/Token/Get"] == 1


def test_reset_regenerates_the_same_world(sandbox):
    company = sandbox.control.companies()[1]
    licenses = sandbox.control.licenses()
    sandbox.control.rename_company(company["id"], "Changed")
    sandbox.control.add_fault(kind="status", status=500)
    sandbox.control.reset()
    assert sandbox.control.companies()[1] == company
    assert sandbox.control.licenses() == licenses
    assert sandbox.control.faults() == []
    bigger = sandbox.control.reset(companies=30, licenses=150)
    assert (
        len(sandbox.control.companies()) == 30 and bigger["seed"] == sandbox.control.info()["seed"]
    )


def test_cli_serves_and_prints_urls_and_credentials():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mspweb.sandbox",
            "--port",
            "0",
            "--companies",
            "3",
            "--licenses",
            "4",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "SANDBOX_ADMIN"},
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        msp_url = lines[1].split()[-1]
        assert msp_url.endswith("/msp") and "off" in lines[3]
        response = requests.post(
            f"{msp_url}/Token/Get",
            timeout=5,
            json={"username": "msp@northwind.example", "password": "northwind"},
        )
        assert response.status_code == 200
        assert "msp@northwind.example" in process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=5)
