"""The sandbox's usage report: its contract, and a history that mutations keep consistent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mspweb.portal import MspPortalClient, PortalProtocolError
from tests.usage_helpers import today

PATH = "UsageReport/AllCompanies/products"


def _report(sandbox, first, last) -> dict:
    demo = sandbox.main
    with MspPortalClient(sandbox.msp_url, demo.username, demo.password) as client:
        return {c.company_id: c for c in client.usage_report(first, last)}


def _product(report, company_id, code, kind=1):
    return next(p for p in report[company_id].products if p.code == code and p.license_type == kind)


def test_range_rules_answer_400(sandbox):
    headers = sandbox.login()
    day = today()
    for body in (
        {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()},
        {"from": (day - timedelta(days=366)).isoformat(), "to": day.isoformat()},
        {"from": day.isoformat(), "to": (day - timedelta(days=1)).isoformat()},
        {"from": "yesterday", "to": day.isoformat()},
    ):
        assert sandbox.post("msp", PATH, body, headers).status_code == 400


def test_report_lists_readable_companies_with_every_day(sandbox):
    headers = sandbox.login()
    day = today()
    first = day - timedelta(days=29)
    body = {"from": first.isoformat(), "to": day.isoformat(), "take": 5}
    page = sandbox.post("msp", PATH, body, headers).json()
    readable = [c for c in sandbox.control.companies() if c["access"] != "NoAccess"]
    assert page["totalCount"] == len(readable)
    assert len(page["companies"]) == 5
    for company in page["companies"]:
        for product in company["products"]:
            assert len(product["usagePerDays"]) == 30
            assert product["seatDays"] == sum(d["usage"] for d in product["usagePerDays"])
    report = _report(sandbox, first, day)  # the client pages through all of them
    assert len(report) == len(readable)


def test_mutations_keep_the_history_consistent(sandbox):
    control = sandbox.control
    day = today()
    first = day - timedelta(days=40)
    item = next(i for i in control.licenses() if i["state"] != 3 and not i["trial"])
    company, code = item["customerId"], item["productCode"]
    before = _report(sandbox, first, day)
    past = _product(before, company, code).usage[:-1]
    control.set_license(item["publicLicenseKey"], usage=item["usage"] + 5)
    added = control.add_license(company, product_code="EFDE", quantity=12, usage=9)
    after = _report(sandbox, first, day)
    moved = _product(after, company, code)
    assert moved.usage[:-1] == past  # past days never change
    assert moved.usage[-1][1] == _product(before, company, code).usage[-1][1] + 5
    new = _product(after, company, "EFDE")
    assert [used for _, used in new.usage[:-1]] == [0] * 40 and new.usage[-1][1] >= 9
    assert added["publicLicenseKey"]
    control.remove_license(item["publicLicenseKey"])  # a removed license keeps its past
    gone = _product(_report(sandbox, first, day), company, code)
    assert gone.usage[:-1] == past
    assert gone.usage[-1][1] == moved.usage[-1][1] - (item["usage"] + 5)


def test_client_refuses_a_report_of_the_wrong_shape(sandbox):
    sandbox.control.add_fault(kind="wrong_shape", path=PATH, count=5)
    with pytest.raises(PortalProtocolError):
        _report(sandbox, today(), today())
