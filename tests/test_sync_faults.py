"""R21: a sync that fails part-way changes nothing, and says that it failed and why.

Faults come only from the sandbox's switches; the database is compared table by table.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Account, Company, SyncRun
from tests.plugins.sync import dump_tables, sync_now


def _change_the_portal(sandbox) -> None:
    """Renames, a new company, a removed company, a removed license, a changed usage."""
    control = sandbox.control
    companies = [c for c in control.companies("northwind") if c["type"] == 1007]
    control.rename_company(companies[0]["id"], "Renamed During Outage")
    control.add_company(control.root("northwind")["id"], "Added During Outage")
    control.remove_company(companies[1]["id"])
    licenses = control.licenses("northwind")
    control.remove_license(licenses[-1]["publicLicenseKey"])
    control.set_license(licenses[0]["publicLicenseKey"], usage=licenses[0]["usage"] + 3)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500},
        {"kind": "non_json"},
        {"kind": "truncated"},
        {"kind": "wrong_shape"},
    ],
)
def test_r21_failure_on_the_last_page_leaves_the_database_as_it_was(import_demo, sandbox, fault):
    sandbox.control.reset(licenses=250)  # three pages of licenses: the last one fails
    account = import_demo(business=True)
    _change_the_portal(sandbox)
    before = dump_tables()
    sandbox.control.add_fault(path="Search/Licenses", portal="msp", last_page_only=True, **fault)
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    assert dump_tables() == before
    run = db.session.get(SyncRun, outcome["run_id"])
    assert run.status == "failed" and run.finished_at is not None
    assert run.error.startswith("The MSP portal")
    db.session.refresh(account)
    assert (account.last_sync_status, account.last_sync_error) == ("failed", run.error)
    sandbox.control.clear_faults()
    assert sync_now(account)["status"] == "succeeded"
    assert db.session.scalars(select(Company).where(Company.name == "Added During Outage")).one()


def test_r21_portal_under_maintenance_fails_the_sync_then_the_next_succeeds(import_demo, sandbox):
    account = import_demo()
    sandbox.control.add_license(sandbox.control.root("northwind")["id"])
    before = dump_tables()
    sandbox.control.add_fault(kind="status", status=503, path="Search/Licenses")
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    assert "portal under maintenance" in outcome["error"]
    assert dump_tables() == before
    sandbox.control.clear_faults()
    outcome = sync_now(account)
    assert (outcome["status"], outcome["licenses_added"]) == ("succeeded", 1)
    db.session.refresh(account)
    assert (account.last_sync_status, account.last_sync_error) == ("succeeded", None)


def test_r21_changed_credentials_fail_with_credentials_no_longer_valid(import_demo, sandbox):
    account = import_demo()
    before = dump_tables()
    sandbox.control.set_password("northwind", "changed-in-the-portal")
    sandbox.control.revoke_tokens("northwind")
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    assert "credentials no longer valid" in outcome["error"]
    assert dump_tables() == before
    account = db.session.get(Account, account.id)
    db.session.refresh(account)
    assert account.credentials_valid is False
    sandbox.control.set_password("northwind", "northwind")
    assert sync_now(account)["status"] == "succeeded"
    db.session.refresh(account)
    assert account.credentials_valid is True


def test_r21_portal_slower_than_the_read_timeout_fails_as_timed_out(
    import_demo, sandbox, fast_portal
):
    account = import_demo()
    fast_portal.config["PORTAL_READ_TIMEOUT"] = 0.3
    sandbox.control.add_fault(kind="slow", delay=0.6, path="Company/Children")
    before = dump_tables()
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    assert "timed out" in outcome["error"]
    assert dump_tables() == before


def test_r21_token_expiring_in_the_middle_of_paging_is_renewed(import_demo, sandbox):
    sandbox.control.reset(licenses=250)
    account = import_demo()
    sandbox.control.set_token_lifetime(1)
    sandbox.control.add_fault(kind="slow", delay=1.2, path="Search/Licenses", count=1, after=1)
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded", outcome
    assert outcome["portal_retries"] >= 0
