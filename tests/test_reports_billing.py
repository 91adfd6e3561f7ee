"""Monthly billing against the sandbox's own usage report, and closed months staying frozen."""

from __future__ import annotations

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import SyncRun
from mspweb.models.usage import UsageMonth
from mspweb.reports.billing import billing_report, close_month
from mspweb.scope import Scope
from mspweb.usage.backfill import run_inline as backfill_inline
from tests.plugins.sync import sync_now
from tests.usage_helpers import console_billing, expected_billing, last_month, mid, today


def _backfill(account) -> dict:
    outcome = backfill_inline(account.id)
    assert outcome["status"] == "succeeded", outcome
    return outcome


def test_backfill_is_queued_after_the_first_sync_and_matches_the_report(fast_portal, sandbox):
    from mspweb.accounts.service import import_account

    demo = sandbox.main
    account, _ = import_account(sandbox.msp_url, None, demo.username, demo.password)
    assert not db.session.scalars(select(SyncRun).where(SyncRun.trigger == "backfill")).all()
    assert sync_now(account)["status"] == "succeeded"  # takes over the import's run
    queued = db.session.scalars(select(SyncRun).where(SyncRun.trigger == "backfill")).all()
    assert [run.status for run in queued] == ["queued"]
    outcome = _backfill(account)
    assert outcome["run_id"] == queued[0].id
    month = last_month()
    assert console_billing(account.id, month) == expected_billing(sandbox, month)
    assert console_billing(account.id, today().replace(day=1)) == expected_billing(
        sandbox, today().replace(day=1)
    )


def _history_changes(control) -> dict:
    """Backdated changes in last month's middle: every case the billing must get right."""
    month = last_month()
    licenses = [item for item in control.licenses() if item["state"] != 3]
    full = [item for item in licenses if not item["trial"]]
    trial = next(item for item in licenses if item["trial"])
    changed, removed, suspended = full[0], full[1], full[2]
    control.set_license(changed["publicLicenseKey"], usage=changed["usage"] + 7,
                        effective_from=mid(month, 10))  # fmt: skip
    control.remove_license(removed["publicLicenseKey"], effective_from=mid(month, 12))
    control.set_license(suspended["publicLicenseKey"], state=3, effective_from=mid(month, 20))
    control.set_license(trial["publicLicenseKey"], trial=False, quantity=30,
                        effective_from=mid(month, 14))  # fmt: skip
    added = control.add_license(changed["customerId"], product_code="EPC", quantity=40,
                                usage=33, effective_from=mid(month, 18))  # fmt: skip
    return {"changed": changed, "removed": removed, "suspended": suspended, "trial": trial,
            "added": added}  # fmt: skip


def test_billing_figures_for_mid_month_changes(import_demo, sandbox):
    changes = _history_changes(sandbox.control)
    account = import_demo("northwind")
    _backfill(account)
    month = last_month()
    expected = expected_billing(sandbox, month)
    console = console_billing(account.id, month)
    assert console == expected
    trial_company = changes["trial"]["customerId"]
    assert any(key[0] == trial_company and key[2] == "trial" for key in console)
    assert any(key[0] == trial_company and key[2] == "full" for key in console)
    assert any(key[1] == "EPC" and key[0] == changes["changed"]["customerId"] for key in console)


def test_closed_month_stays_frozen(import_demo, sandbox, app):
    changes = _history_changes(sandbox.control)
    account = import_demo("northwind")
    _backfill(account)
    month = last_month()
    close_month(account.id, month, None, today())
    frozen = billing_report(account.id, month, Scope(role="admin"), today())
    before = [(r.company_name, r.company_portal_id, r.product_code, r.license_type,
               r.seat_days, r.peak, r.seats) for r in frozen.rows]  # fmt: skip
    control = sandbox.control
    # A late portal correction, a renamed and a removed company, then syncs.
    key = changes["changed"]["publicLicenseKey"]
    control.set_license(key, usage=1, effective_from=mid(month, 2))
    renamed = changes["trial"]["customerId"]
    control.rename_company(renamed, "Renamed After Close Ltd")
    gone = changes["suspended"]["customerId"]
    if gone in (renamed,):
        gone = changes["removed"]["customerId"]
    control.remove_company(gone)
    assert sync_now(account)["status"] == "succeeded"
    db.session.query(UsageMonth).filter(UsageMonth.month == month).update({"days": [0] * 31})
    db.session.commit()
    after = billing_report(account.id, month, Scope(role="admin"), today())
    assert after.closed is not None and after.closed.closed_by == "system"
    assert [(r.company_name, r.company_portal_id, r.product_code, r.license_type,
             r.seat_days, r.peak, r.seats) for r in after.rows] == before  # fmt: skip
    assert "Renamed After Close Ltd" not in {r.company_name for r in after.rows}


def test_resync_the_same_day_writes_no_usage_rows(import_demo, sandbox):
    account = import_demo("northwind")
    _backfill(account)
    assert sync_now(account)["status"] == "succeeded"
    stamp = db.session.scalar(select(func.max(UsageMonth.updated_at)))
    count = db.session.scalar(select(func.count()).select_from(UsageMonth))
    calls_before = sandbox.control.calls("UsageReport/AllCompanies/products")
    assert sync_now(account)["status"] == "succeeded"
    assert db.session.scalar(select(func.max(UsageMonth.updated_at))) == stamp
    assert db.session.scalar(select(func.count()).select_from(UsageMonth)) == count
    assert sandbox.control.calls("UsageReport/AllCompanies/products") == calls_before + 1


def test_sync_moves_todays_figure(import_demo, sandbox):
    account = import_demo("northwind")
    _backfill(account)
    item = next(i for i in sandbox.control.licenses() if i["state"] != 3)
    sandbox.control.set_license(item["publicLicenseKey"], usage=item["usage"] + 11)
    assert sync_now(account)["status"] == "succeeded"
    month = today().replace(day=1)
    assert console_billing(account.id, month) == expected_billing(sandbox, month)


def test_r21_failing_usage_fetch_fails_the_sync_and_changes_nothing(import_demo, sandbox):
    account = import_demo("northwind")
    _backfill(account)
    item = next(i for i in sandbox.control.licenses() if i["state"] != 3)
    sandbox.control.set_license(item["publicLicenseKey"], usage=item["usage"] + 3, quantity=999)
    before = db.session.scalar(select(func.max(UsageMonth.updated_at)))
    sandbox.control.add_fault(kind="status", status=400, path="UsageReport/AllCompanies/products")
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    assert "usage report" in outcome["error"]
    db.session.expire_all()
    assert db.session.scalar(select(func.max(UsageMonth.updated_at))) == before
    from mspweb.models import License

    assert (
        db.session.scalar(
            select(License.quantity).where(License.public_key == item["publicLicenseKey"])
        )
        != 999
    )


def test_business_portal_units_are_recorded_each_day(import_demo, sandbox):
    account = import_demo("northwind", business=True)
    rows = db.session.scalars(select(UsageMonth).where(UsageMonth.source == "business")).all()
    assert rows and all(row.pool_key.startswith("business:") for row in rows)
    day = today().day - 1
    expected = sum(
        part["usage"]
        for item in sandbox.control.licenses(portal="business")
        if item["state"] != 3
        for part in item["allocations"]
    )
    assert sum(row.days[day] for row in rows) == expected
    business = db.session.scalar(
        select(UsageMonth.company_id).where(UsageMonth.source == "business").limit(1)
    )
    billed = console_billing(account.id, today().replace(day=1))
    from mspweb.models import Company

    portal_id = db.session.get(Company, business).portal_id
    assert any(key[0] == portal_id for key in billed)  # its rows carry its company id
    count = len(rows)
    assert sync_now(account)["status"] == "succeeded"
    assert db.session.scalar(select(func.count()).select_from(UsageMonth)) >= count


def test_portal_calls_of_backfill_and_refresh(import_demo, sandbox):
    from datetime import timedelta

    from mspweb.models.usage import UsageStatus

    account = import_demo("northwind")  # 12 readable companies: one page of 100
    control = sandbox.control
    path = "UsageReport/AllCompanies/products"
    _backfill(account)
    assert control.calls(path) == 14  # this month so far and 13 whole months back
    sync_now(account)
    assert control.calls(path) == 15  # a daily refresh: one range
    status = db.session.get(UsageStatus, account.id)
    status.month_end_through -= timedelta(days=31)  # as if the month had just ended
    db.session.commit()
    sync_now(account)
    assert control.calls(path) == 17  # the first sync of a month: the month just ended too
    db.session.expire_all()
    assert db.session.get(UsageStatus, account.id).month_end_through == (
        today().replace(day=1) - timedelta(days=1)
    )


def test_sync_history_shows_the_backfill_as_its_own_run(import_demo, sandbox, admin_client):
    account = import_demo("northwind")
    outcome = _backfill(account)
    page = admin_client.get(f"/syncs?account={account.id}").text
    row = page.split(f'<tr data-run="{outcome["run_id"]}">')[1].split("</tr>")[0]
    assert "Usage backfill" in row and "Finished" in row
    assert f"{outcome['portal_calls']} portal calls" in row and "month rows written" in row
