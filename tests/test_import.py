"""Importing an account (R01, R02, R03): what is accepted, what is refused and why."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mspweb.accounts.service import ImportRefused, import_account
from mspweb.crypto import decrypt_secret
from mspweb.extensions import db
from mspweb.models import Account, AuditEntry, Company, License, LicensePool, SyncRun
from tests.plugins.sync import sync_now


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refusal(sandbox, name: str, **urls) -> ImportRefused:
    demo = sandbox.accounts[name]
    with pytest.raises(ImportRefused) as caught:
        import_account(
            urls.get("msp", sandbox.msp_url),
            urls.get("business"),
            demo.username,
            urls.get("password", demo.password),
            enqueue_sync=False,
        )
    return caught.value


def test_r01_distributor_account_is_refused_with_the_reason(fast_portal, sandbox):
    refusal = _refusal(sandbox, "contoso")
    assert refusal.reason == "distributor_or_other_type"
    assert "is a Distributor account" in refusal.message
    assert "Only MSP, Managed MSP and MSP Manager accounts can be imported" in refusal.message
    assert _count(Account) == 0 and _count(Company) == 0
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.outcome, entry.actor) == ("account.import", "refused", "system")
    assert entry.details["reason"] == "distributor_or_other_type"


def test_r01_msp_manager_account_is_imported(fast_portal, sandbox):
    demo = sandbox.accounts["fabrikam"]
    account, run = import_account(
        sandbox.msp_url, None, demo.username, demo.password, enqueue_sync=False
    )
    assert (account.name, account.kind, run) == ("Fabrikam Holdings", "msp", None)
    assert account.root_company.entity_type == 1004


def test_r02_account_without_read_permission_is_refused(fast_portal, sandbox):
    refusal = _refusal(sandbox, "adatum")
    assert refusal.reason == "no_read_permission"
    assert "no read permission to any company" in refusal.message
    assert _count(Account) == 0


def test_r02_account_reading_one_customer_only_is_imported(import_demo, sandbox):
    account = import_demo("litware")
    lucerne = sandbox.control.company("Lucerne Publishing", "litware")
    keys = {item["publicLicenseKey"] for item in sandbox.control.licenses(company_id=lucerne["id"])}
    imported = set(
        db.session.scalars(select(License.public_key).where(License.account_id == account.id))
    )
    assert imported == keys  # the parent and the other customers are not readable
    assert _count(Company) == 6  # but the whole structure is mirrored


def test_wrong_password_is_refused_as_bad_credentials(fast_portal, sandbox):
    refusal = _refusal(sandbox, "northwind", password="wrong")
    assert refusal.reason == "bad_credentials"
    assert "rejected the username or password" in refusal.message
    assert _count(Account) == 0


def test_unreachable_portal_is_refused_as_unreachable(fast_portal, sandbox):
    refusal = _refusal(sandbox, "northwind", msp="http://127.0.0.1:9/msp")
    assert refusal.reason == "unreachable"
    assert "could not be reached" in refusal.message
    assert _count(Account) == 0


def test_invalid_url_is_refused_as_invalid_input(fast_portal, sandbox):
    refusal = _refusal(sandbox, "northwind", msp="ftp://portal.example")
    assert refusal.reason == "invalid_input"


def test_importing_the_same_account_twice_is_refused(import_demo, sandbox):
    import_demo("northwind", sync=False)
    refusal = _refusal(sandbox, "northwind")
    assert refusal.reason == "duplicate"
    assert _count(Account) == 1


def test_password_is_stored_encrypted(import_demo, sandbox):
    account = import_demo("northwind", sync=False)
    assert b"northwind" not in account.password_encrypted
    assert decrypt_secret(account.password_encrypted) == "northwind"


def test_r03_mixed_account_imports_both_portals_licenses(import_demo, sandbox):
    account = import_demo("northwind", business=True)
    assert account.kind == "mixed"
    msp_keys = {item["publicLicenseKey"] for item in sandbox.control.licenses("northwind")}
    business_keys = {
        item["publicLicenseKey"]
        for item in sandbox.control.licenses("northwind", portal="business")
    }
    imported = dict(
        db.session.execute(
            select(License.public_key, License.source).where(License.account_id == account.id)
        ).all()
    )
    assert set(imported) == msp_keys | business_keys
    assert {imported[key] for key in business_keys} == {"business"}
    assert {imported[key] for key in msp_keys} == {"msp"}


def test_r03_business_only_account_is_imported_and_synchronized(import_demo, sandbox):
    account = import_demo("tailspin", msp=False, business=True)
    assert (account.kind, account.name) == ("business", "Tailspin Toys")
    assert _count(License) == 12
    assert _count(LicensePool) >= 2


def test_import_queues_the_first_sync_and_audits_it(fast_portal, sandbox, admin):
    demo = sandbox.accounts["northwind"]
    account, run = import_account(
        sandbox.msp_url, None, demo.username, demo.password, requested_by=admin
    )
    assert (run.trigger, run.status, run.job_id) == ("import", "queued", f"sync-run-{run.id}")
    assert fast_portal.sync_queue.fetch_job(run.job_id) is not None
    actions = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)
    ).all()
    assert actions == [("account.import", admin.email), ("sync.request", admin.email)]
    assert _count(SyncRun) == 1
    assert sync_now(account)["status"] == "succeeded"  # takes over the queued run
    # The import's run, plus the usage backfill queued once it succeeded (issue 10).
    triggers = db.session.scalars(select(SyncRun.trigger).order_by(SyncRun.id)).all()
    assert triggers == ["import", "backfill"]
