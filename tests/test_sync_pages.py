"""Synchronize licenses (R14): the status fragment that polls itself, and the Sync history."""

from __future__ import annotations

from mspweb.extensions import db
from mspweb.models import SyncRun
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login, run_worker
from tests.page_helpers import HX, make_account, make_company, make_run, signed_in

POLL = 'hx-trigger="load delay:1s"'


def test_r14_a_running_sync_polls_itself_with_phase_and_a_progress_bar(app, admin_client):
    account = make_account()
    run = make_run(
        account,
        "running",
        phase="licenses",
        progress_done=40,
        progress_total=200,
        companies_seen=12,
        licenses_seen=40,
    )
    fragment = admin_client.get(f"/syncs/{run.id}/status", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert POLL in fragment.text
    assert f'hx-get="/syncs/{run.id}/status?poll=1"' in fragment.text
    assert "<progress" in fragment.text and "style=" not in fragment.text
    assert "Running" in fragment.text and "40 licenses" in fragment.text
    assert "HX-Trigger" not in fragment.headers


def test_r14_the_first_poll_after_the_end_shows_the_outcome_refreshes_licenses_and_stops(
    app, admin_client
):
    account = make_account()
    run = make_run(account, "running")
    run.status = "succeeded"
    run.companies_added, run.companies_renamed, run.licenses_added, run.licenses_removed = (
        3,
        1,
        12,
        2,
    )
    run.portal_calls = 17
    db.session.commit()
    finished = admin_client.get(f"/syncs/{run.id}/status?poll=1", headers=HX)
    assert finished.status_code == 200
    assert finished.headers["HX-Trigger"] == "licenses-changed"
    assert POLL not in finished.text and "hx-get" not in finished.text
    assert "Finished" in finished.text
    assert "3 added, 1 renamed" in finished.text and "12 added, 2 removed" in finished.text
    assert "17 portal calls" in finished.text
    # Opened again later (not by the poller), it refreshes nothing.
    assert "HX-Trigger" not in admin_client.get(f"/syncs/{run.id}/status", headers=HX).headers


def test_r14_a_failed_sync_says_why_in_words(app, admin_client):
    run = make_run(
        make_account(), "failed", error="The portal answered 503 Service Unavailable three times."
    )
    html = admin_client.get(f"/syncs/{run.id}/status", headers=HX).text
    assert "The synchronization failed" in html and "503 Service Unavailable" in html
    assert "Nothing was changed" in html and POLL not in html


def test_r21_a_run_whose_worker_died_shows_as_failed_when_polled(app, admin_client):
    from mspweb.sync.heartbeat import heartbeat_key

    run = make_run(make_account(), "running")
    app.redis.delete(heartbeat_key(run.id))
    html = admin_client.get(f"/syncs/{run.id}/status?poll=1", headers=HX).text
    assert "The worker stopped" in html and POLL not in html


def test_r14_the_status_url_opened_directly_is_a_full_page(app, admin_client):
    run = make_run(make_account("Fabrikam Holdings"), "queued", started_at=None)
    page = admin_client.get(f"/syncs/{run.id}/status")
    assert page.status_code == 200 and "<html" in page.text
    assert "Synchronization of Fabrikam Holdings" in page.text and POLL in page.text
    assert "Waiting for a worker" in page.text


def test_sync_history_lists_runs_newest_first_with_outcome_and_changes(app, admin_client):
    account = make_account("Northwind MSP")
    make_run(account, "succeeded", licenses_added=5, trigger="import")
    make_run(account, "failed", error="Credentials no longer valid")
    html = admin_client.get("/syncs").text
    assert html.index("Credentials no longer valid") < html.index("5 added")
    assert "First sync after import" in html and "On demand" in html


def test_sync_history_filters_by_account_and_status_in_the_url_and_pages(app, admin_client):
    north, fab = make_account("Northwind MSP"), make_account("Fabrikam Holdings")
    for _ in range(55):
        make_run(north, "succeeded")
    make_run(north, "failed", error="boom north")
    make_run(fab, "failed", error="boom fabrikam")
    fragment = admin_client.get(f"/syncs?account={fab.id}&status=failed", headers=HX)
    assert (
        "<html" not in fragment.text
        and "boom fabrikam" in fragment.text
        and "boom north" not in fragment.text
    )
    page = admin_client.get(f"/syncs?account={fab.id}&status=failed")
    assert "<html" in page.text and f'<option value="{fab.id}" selected>' in page.text
    assert '<option value="failed" selected>' in page.text
    first = admin_client.get(f"/syncs?account={north.id}").text
    assert "Page 1 of 2" in first and f'href="/syncs?account={north.id}&amp;page=2"' in first
    second = admin_client.get(f"/syncs?account={north.id}&page=2").text
    assert second.count("data-run=") == 6
    assert (
        "No synchronization matches" in admin_client.get("/syncs?status=running", headers=HX).text
    )


def test_operators_see_their_accounts_runs_only_and_no_sync_button(app):
    north, fab = make_account("Northwind MSP"), make_account("Fabrikam Holdings")
    msp = make_company(north, "Northwind MSP", 1005)
    mine, theirs = (
        make_run(north, "failed", error="north error"),
        make_run(fab, "failed", error="fabrikam error"),
    )
    operator = signed_in(app, "operator", msp)
    html = operator.get("/syncs").text
    assert "north error" in html and "fabrikam error" not in html
    assert "Synchronize licenses" not in html
    assert operator.get(f"/syncs/{mine.id}/status").status_code == 200
    assert operator.get(f"/syncs/{theirs.id}/status", headers=HX).status_code == 404


def test_customer_users_get_404_on_sync_pages(app):
    account = make_account()
    customer = signed_in(app, "customer", make_company(account, "Alpha Bakery", 1007))
    run = make_run(account)
    assert customer.get("/syncs").status_code == 404
    assert customer.get(f"/syncs/{run.id}/status").status_code == 404


def test_r14_sync_button_on_history_page_for_admins_posts_to_each_active_account(app, admin_client):
    north = make_account("Northwind MSP")
    make_account("Gone MSP", state="disconnected")
    html = admin_client.get("/syncs").text
    assert html.count("Synchronize licenses") == 1
    assert f'hx-post="/accounts/{north.id}/sync"' in html and 'name="csrf_token"' in html


def test_r14_manual_sync_runs_in_the_worker_and_the_poll_reports_the_outcome(
    fast_portal, sandbox, admin_client
):
    """The whole story with the real import and sync services, the sandbox and an RQ worker."""
    demo = sandbox.accounts["fabrikam"]
    imported = admin_client.post(
        "/accounts/new",
        headers=HX,
        data={"msp_url": sandbox.msp_url, "username": demo.username, "password": demo.password},
    )
    assert imported.status_code == 200, imported.text
    first = db.session.scalars(db.select(SyncRun)).one()
    assert f'id="sync-run-{first.id}"' in imported.text and POLL in imported.text
    run_worker(fast_portal)
    done = admin_client.get(f"/syncs/{first.id}/status?poll=1", headers=HX)
    assert done.headers["HX-Trigger"] == "licenses-changed"
    assert "Finished" in done.text and "Companies:" in done.text and POLL not in done.text
    # A manual sync: a second click and a second administrator see the same run (R14).
    account_id = first.account_id
    click = admin_client.post(f"/accounts/{account_id}/sync", headers=HX)
    again = admin_client.post(f"/accounts/{account_id}/sync", headers=HX)
    # The import's run, then the manual one (the usage backfill the import queued, issue 10,
    # ran in the worker meanwhile: a run of its own kind, not counted here).
    runs = db.session.scalars(
        db.select(SyncRun).where(SyncRun.trigger != "backfill").order_by(SyncRun.id)
    ).all()
    assert len(runs) == 2
    assert (
        f'id="sync-run-{runs[1].id}"' in click.text and f'id="sync-run-{runs[1].id}"' in again.text
    )
    other = fast_portal.test_client()
    login(other, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert f'id="sync-run-{runs[1].id}"' in other.get("/accounts").text
    run_worker(fast_portal)
    outcome = admin_client.get(f"/syncs/{runs[1].id}/status?poll=1", headers=HX)
    assert "Finished" in outcome.text and outcome.headers["HX-Trigger"] == "licenses-changed"
    assert "Licenses: no changes" in outcome.text


def test_r14_what_changed_in_the_portal_shows_in_the_outcome(
    fast_portal, sandbox, admin_client, import_demo
):
    account = import_demo("fabrikam")
    customers = [item for item in sandbox.control.companies("fabrikam") if item["type"] == 1007]
    renamed = next(item for item in customers if item["licenseCount"])
    sandbox.control.rename_company(renamed["id"], "Renamed Customer Ltd")
    sandbox.control.add_company(sandbox.control.root("fabrikam")["id"], "Brand New Customer")
    key = sandbox.control.licenses(company_id=renamed["id"])[0]["publicLicenseKey"]
    sandbox.control.remove_license(key)
    response = admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    run_id = int(response.text.split('data-run="')[1].split('"')[0])
    run_worker(fast_portal)
    outcome = admin_client.get(f"/syncs/{run_id}/status?poll=1", headers=HX).text
    assert "Companies: 1 added, 1 renamed" in outcome and "Licenses: 1 removed" in outcome


def test_sync_history_ignores_nonsense_filters(app, admin_client):
    make_run(make_account(), "failed", error="still listed")
    for query in ("account=99999999999999999999", "account=-5", "account=abc", "status=<b>"):
        response = admin_client.get(f"/syncs?{query}&page=99999999999999999999")
        assert response.status_code == 200 and "still listed" in response.text, query
