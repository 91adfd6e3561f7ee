"""In a real browser: an administrator adds the demo account and watches its first sync (a real
worker process runs it), synchronizes on demand (R14), and removes the pools (R11)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Account, Company, License, SyncRun
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, start_rq_worker
from tests.e2e.conftest import screenshot, sign_in

#: A sync of the small sandbox takes a second or two; a loaded CI machine gets more.
SYNC_TIMEOUT = 30_000


def test_r14_admin_adds_the_demo_account_and_watches_its_first_sync(
    page, admin, sandbox, fast_portal, sync_worker
):
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Add account").click()
    form = page.get_by_role("region", name="Add account")
    form.get_by_label("MSP portal URL").fill(sandbox.msp_url)
    form.get_by_label("Business portal URL").fill(sandbox.business_url)
    form.get_by_label("Username").fill(sandbox.main.username)
    form.get_by_label("Password").fill(sandbox.main.password)
    form.get_by_role("button", name="Import account").click()

    expect(page.get_by_text(re.compile(r"Account .+ imported\."))).to_be_visible()
    status = page.locator(".account-card .sync-status")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=SYNC_TIMEOUT)
    expect(status).to_contain_text("Finished")
    # The card follows the account's latest run: the import's sync, then the usage backfill
    # that sync queues once it succeeded (issue 10).
    expect(status).to_contain_text(re.compile("First sync after import|Usage backfill"))
    expect(page.locator(".account-card")).to_have_attribute("data-state", "synchronized")
    screenshot(page, "accounts")

    first = db.session.scalar(select(SyncRun.id).where(SyncRun.trigger == "import"))
    page.goto(f"/syncs/{first}/status")
    expect(page.get_by_role("heading", name=re.compile("Synchronization of"))).to_be_visible()
    run_status = page.locator(".sync-status")
    expect(run_status).to_contain_text("First sync after import")
    expect(run_status).to_contain_text("Finished")
    expect(run_status.locator("ul.changes")).to_contain_text("added")
    expect(run_status).to_contain_text("Licenses:")
    screenshot(page, "sync-status")


def test_r14_pressing_synchronize_twice_quickly_starts_one_run(
    page, admin, import_demo, worker_env
):
    account = import_demo("northwind", business=True)  # runs its first sync in-process
    runs_before = db.session.scalar(select(func.count(SyncRun.id)))
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/accounts")
    card = page.locator(f"#account-{account.id}")
    button = card.get_by_role("button", name="Synchronize licenses")
    status = card.locator(".sync-status")

    # No worker yet: the run stays queued, so the second press must join it.
    expect(status).to_have_attribute("data-status", "succeeded")  # the import's sync
    button.click()
    expect(status).to_have_attribute("data-status", "queued")
    first_run = status.get_attribute("data-run")
    button.click()
    expect(status).to_have_attribute("data-run", first_run)
    expect(status).to_have_attribute("data-status", re.compile("queued|running"))

    worker = start_rq_worker(dict(worker_env, PORTAL_MAX_CALLS_PER_SECOND="0"))
    try:
        expect(status).to_have_attribute("data-status", "succeeded", timeout=SYNC_TIMEOUT)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    expect(status).to_have_attribute("data-run", first_run)

    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Sync history"
    ).click()
    history = page.locator("#sync-history tbody tr")
    expect(history).to_have_count(runs_before + 1)
    expect(history.first).to_have_attribute("data-run", first_run)
    expect(history.first).to_contain_text("On demand")
    expect(history.first).to_contain_text("Finished")
    db.session.rollback()  # end the read transaction: see what the server wrote
    assert db.session.scalar(select(func.count(SyncRun.id))) == runs_before + 1
    screenshot(page, "syncs")


def test_r11_removing_pools_names_the_counts_and_unlinks_the_customers(page, admin, import_demo):
    account = import_demo("northwind", business=True)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/licenses")
    first_row = page.locator("#license-table tbody tr[data-row]").first
    key = first_row.locator("td.mono").inner_text()
    first_row.get_by_role("button", name=f"Pool actions for {key}").click()  # a popover menu
    page.get_by_role("link", name=f"Remove the pools of {account.name}…").click()

    dialog = page.get_by_role("alertdialog", name=f"Remove the pools of {account.name}?")
    pools = int(dialog.locator("[data-pools]").get_attribute("data-pools"))
    licenses = int(dialog.locator("[data-licenses]").get_attribute("data-licenses"))
    assert pools >= 2 and licenses >= 1
    expect(dialog).to_contain_text(f"{pools} pools")
    expect(dialog).to_contain_text(f"{licenses} licenses")
    dialog.get_by_role("button", name=f"Remove {pools} pools and {licenses} licenses").click()
    expect(
        page.get_by_text(f"Removed {pools} pools and {licenses} licenses of {account.name}.")
    ).to_be_visible()

    page.goto("/licenses")
    expect(page.locator("#license-table tbody")).to_contain_text("No licenses yet")
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Managed Customers"
    ).click()
    unlinked = page.locator("#customer-list tbody tr[data-status=unlinked]")
    expect(unlinked.first).to_contain_text("Unlinked")
    expect(page.locator("#customer-list tbody tr:not([data-status=unlinked])")).to_have_count(0)
    db.session.rollback()  # end the read transaction: see what the server wrote
    assert db.session.get(Account, account.id).state != "active"


def _customers_with_licenses(account) -> list[Company]:
    """The MSP-portal customers of `account` that hold licenses, by name."""
    with_licenses = select(License.company_id).distinct()
    return list(
        db.session.scalars(
            select(Company)
            .where(
                Company.account_id == account.id,
                Company.source == "msp",
                Company.entity_type == 1007,
                Company.id.in_(with_licenses),
            )
            .order_by(Company.name)
        )
    )


def test_r09_a_company_renamed_and_one_removed_in_the_portal_after_a_sync(
    page, admin, import_demo, sandbox, sync_worker
):
    account = import_demo("northwind", business=True)
    renamed, removed = _customers_with_licenses(account)[:2]
    sandbox.control.rename_company(renamed.portal_id, "Renamed Industries")
    sandbox.control.remove_company(removed.portal_id)

    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="License Management").click()
    page.get_by_role("button", name="Synchronize licenses").click()
    status = page.locator(f"#sync-slot-{account.id} .sync-status")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=SYNC_TIMEOUT)
    expect(status.locator("ul.changes")).to_contain_text("1 renamed")
    expect(status.locator("ul.changes")).to_contain_text("1 unlinked")

    # The license table refreshed itself: the new name, the old tag (R09).
    renamed_rows = page.locator("#license-table tbody tr[data-row]").filter(
        has_text="Renamed Industries"
    )
    expect(renamed_rows.first).to_be_visible()
    expect(renamed_rows.first.locator(".tag-name")).to_contain_text([renamed.name])
    expect(page.locator("#license-tree")).to_contain_text("Renamed Industries")
    expect(page.locator("#license-tree")).not_to_contain_text(renamed.name)

    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Managed Customers"
    ).click()
    row = page.locator(f"#customer-{removed.id}")
    expect(row).to_have_attribute("data-status", "unlinked")
    expect(row).to_contain_text("Unlinked")
    expect(page.locator(f"#customer-{renamed.id}")).to_contain_text("Renamed Industries")
    page.goto(f"/licenses?q={removed.name}")
    for status_cell in page.locator("#license-table tbody tr[data-row] .status").all():
        expect(status_cell).to_have_text("Unlinked")  # only if its licenses are still shown
