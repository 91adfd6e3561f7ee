"""The change log (issue 11): every sync records what it changed, row by row (R21).

Each test imports a small sandbox account, changes the portal through the sandbox's
mutations, synchronizes in this process and reads the records as `accounts changes --json`
prints them.
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import ChangeRecord, Company
from tests.plugins.sync import sync_now

CONTRACT_KEYS = {"run", "kind", "company", "license", "field", "old", "new"}


def _changes(app, account, run_id: int | None = None) -> list[dict]:
    args = ["accounts", "changes", str(account.id), "--json"]
    if run_id is not None:
        args[3:3] = ["--run", str(run_id)]
    result = app.test_cli_runner().invoke(args=args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _record_count() -> int:
    return db.session.scalar(select(func.count(ChangeRecord.id))) or 0


def test_r08_first_sync_records_each_company_and_license_once(import_demo, sandbox, app):
    account = import_demo(business=True)
    changes = _changes(app, account)
    assert changes and all(set(item) >= CONTRACT_KEYS for item in changes)
    added = Counter(item["license"] for item in changes if item["kind"] == "license.added")
    keys = {item["publicLicenseKey"] for item in sandbox.control.licenses("northwind")}
    keys |= {
        item["publicLicenseKey"]
        for item in sandbox.control.licenses("northwind", portal="business")
    }
    assert set(added) == keys and set(added.values()) == {1}  # once per key, not per site
    companies = {item["company"] for item in changes if item["kind"] == "company.added"}
    portal = {company["id"] for company in sandbox.control.companies("northwind")}
    assert portal - {sandbox.control.root("northwind")["id"]} <= companies
    pools = [item for item in changes if item["kind"] == "pool.created"]
    assert len(pools) == len({item["new"] for item in pools}) > 0
    assert {item["kind"] for item in changes} <= {"company.added", "license.added", "pool.created"}


def test_every_change_kind_is_recorded_once_with_old_and_new(import_demo, sandbox, app):
    control = sandbox.control
    root = control.root("northwind")
    division = control.add_company(root["id"], "Division East", type=1003)["id"]
    account = import_demo()
    companies = {c["name"]: c for c in control.companies("northwind")}
    renamed, moved = companies["Cedar Water KG"], companies["First Water AG"]
    status, gone = companies["Café Crème S.à r.l."], companies["Ωmega ΑΕ"]
    lonely = companies["Summit Water Inc."]  # one license: removing it empties its pool
    relinked = db.session.scalars(
        select(Company).where(Company.portal_id == companies["東京商事"]["id"])
    ).one()
    relinked.unlinked_at = func.now()
    db.session.commit()
    control.rename_company(renamed["id"], "Cedar Water Group")
    control.update_company(moved["id"], parent_id=division)
    control.update_company(status["id"], status=2)
    removed = control.remove_company(gone["id"])
    new_company = control.add_company(root["id"], "Brand New GmbH")["id"]
    new_key = control.add_license(new_company, quantity=3)["publicLicenseKey"]
    lonely_key = control.licenses(company_id=lonely["id"])[0]["publicLicenseKey"]
    control.remove_license(lonely_key)
    items = [i for i in control.licenses("northwind") if i["customerId"] != gone["id"]]
    edits = {
        "quantity": (items[0], items[0]["quantity"] + 5),
        "usage": (items[1], items[1]["usage"] + 1),
        "state": (items[2], 3),
        "trial": (items[3], not items[3]["trial"]),
        "trial_expiration": (items[4], "2031-01-31"),
        "expiration": (items[5], "2030-12-31"),
        "product_code": (items[6], "ZZZ"),
    }
    for field, (item, value) in edits.items():
        control.set_license(item["publicLicenseKey"], **{field: value})
    control.set_license(items[7]["publicLicenseKey"], last_update="2030-01-01T00:00:00Z")
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded", outcome
    changes = _changes(app, account, outcome["run_id"])
    assert {item["run"] for item in changes} == {outcome["run_id"]}
    kinds = Counter(item["kind"] for item in changes)

    def one(kind: str, **match) -> dict:
        found = [
            item
            for item in changes
            if item["kind"] == kind and all(item[k] == v for k, v in match.items())
        ]
        assert len(found) == 1, (kind, match, changes)
        return found[0]

    assert one("company.renamed", company=renamed["id"])["field"] == "name"
    assert (one("company.renamed")["old"], one("company.renamed")["new"]) == (
        "Cedar Water KG",
        "Cedar Water Group",
    )
    move = one("company.moved", company=moved["id"])
    assert (move["field"], move["old"], move["new"]) == ("parent", root["id"], division)
    state = one("company.status", company=status["id"])
    assert (state["field"], state["old"], state["new"]) == ("status", 1, 2)
    assert one("company.unlinked", company=gone["id"])["license"] is None
    assert one("company.relinked", company=companies["東京商事"]["id"])
    assert one("company.added", company=new_company)["new"] == "Brand New GmbH"
    assert one("license.added", license=new_key)["company"] == new_company
    assert one("pool.created", company=new_company)["new"] == f"msp:{new_company}"
    assert one("license.removed", license=lonely_key)["company"] == lonely["id"]
    assert one("pool.emptied", company=lonely["id"])["old"] == f"msp:{lonely['id']}"
    for field, (item, value) in edits.items():
        record = one("license.changed", license=item["publicLicenseKey"], field=field)
        portal_name = {"trial_expiration": "trialExpiration", "product_code": "productCode"}
        expected_old = item[portal_name.get(field, field)]
        assert (record["old"], record["new"]) == (expected_old, value), record
        assert record["company"] == item["customerId"]
    assert not [i for i in changes if i["license"] == items[7]["publicLicenseKey"]]
    assert not [i for i in changes if i["license"] in set(removed["licensesRemoved"])]  # R20
    assert kinds == {
        "company.renamed": 1,
        "company.moved": 1,
        "company.status": 1,
        "company.unlinked": 1,
        "company.relinked": 1,
        "company.added": 1,
        "license.added": 1,
        "pool.created": 1,
        "license.removed": 1,
        "pool.emptied": 1,
        "license.changed": len(edits),
    }


def test_a_second_usage_change_the_same_day_replaces_that_days_entry(import_demo, sandbox, app):
    account = import_demo()
    item = sandbox.control.licenses("northwind")[0]
    key, start = item["publicLicenseKey"], item["usage"]
    sandbox.control.set_license(key, usage=start + 1)
    first = sync_now(account)
    sandbox.control.set_license(key, usage=start + 7)
    second = sync_now(account)
    usage = [i for i in _changes(app, account) if i["field"] == "usage"]
    assert len(usage) == 1
    assert (usage[0]["old"], usage[0]["new"], usage[0]["run"]) == (
        start,
        start + 7,
        second["run_id"],
    )
    assert _changes(app, account, first["run_id"]) == []
    sandbox.control.set_license(key, usage=start)  # back where the day began: no change left
    sync_now(account)
    assert [i for i in _changes(app, account) if i["field"] == "usage"] == []


def test_a_resync_with_nothing_changed_records_nothing(import_demo, sandbox, app):
    account = import_demo(business=True)
    before = _record_count()
    outcome = sync_now(account)
    assert (outcome["status"], outcome["rows_written"]) == ("succeeded", 0)
    assert _record_count() == before
    assert _changes(app, account, outcome["run_id"]) == []


def test_r21_a_sync_failing_on_its_last_page_records_no_change(import_demo, sandbox, app):
    sandbox.control.reset(licenses=250)  # three pages of licenses: the last one fails
    account = import_demo(business=True)
    control = sandbox.control
    companies = [c for c in control.companies("northwind") if c["type"] == 1007]
    control.rename_company(companies[0]["id"], "Renamed During Outage")
    key = control.licenses("northwind")[0]["publicLicenseKey"]
    control.set_license(key, usage=1234)
    before = _record_count()
    control.add_fault(
        path="Search/Licenses", portal="msp", last_page_only=True, kind="status", status=500
    )
    failed = sync_now(account)
    assert failed["status"] == "failed"
    assert _record_count() == before
    assert _changes(app, account, failed["run_id"]) == []
    control.clear_faults()
    succeeded = sync_now(account)
    kinds = sorted(i["kind"] for i in _changes(app, account, succeeded["run_id"]))
    assert kinds == ["company.renamed", "license.changed"]


def test_inline_sync_ends_with_the_run_and_its_outcome(import_demo, sandbox, app):
    account = import_demo(sync=False)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["accounts", "sync", str(account.id), "--inline"])
    assert result.exit_code == 0, result.output
    run_id = _changes(app, account)[0]["run"]
    assert result.output.strip().splitlines()[-1] == f"run {run_id} succeeded"
    sandbox.control.add_fault(path="Search/Licenses", portal="msp", kind="status", status=500)
    result = runner.invoke(args=["accounts", "sync", str(account.id), "--inline"])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"run {run_id + 1} failed: The MSP portal"), last


def test_changes_of_an_unknown_run_is_refused(import_demo, app):
    account = import_demo()
    result = app.test_cli_runner().invoke(
        args=["accounts", "changes", str(account.id), "--run", "999", "--json"]
    )
    assert result.exit_code != 0 and "has no sync run 999" in result.output


def test_business_portal_changes_are_recorded_once_with_old_and_new(import_demo, sandbox, app):
    account = import_demo(business=True)
    control = sandbox.control
    changed, removed = control.licenses("northwind", portal="business")[:2]
    control.set_license(changed["publicLicenseKey"], quantity=changed["quantity"] + 4)
    control.remove_license(removed["publicLicenseKey"])
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded", outcome
    changes = _changes(app, account, outcome["run_id"])
    business = sandbox.control.business("northwind")["companyId"]
    assert [(i["kind"], i["company"], i["license"], i["field"], i["old"], i["new"])
            for i in changes if i["kind"].startswith("license.")] == [
        ("license.changed", business, changed["publicLicenseKey"], "quantity",
         changed["quantity"], changed["quantity"] + 4),
        ("license.removed", business, removed["publicLicenseKey"], None, None, None),
    ]  # fmt: skip
