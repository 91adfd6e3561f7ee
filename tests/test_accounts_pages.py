"""The Accounts pages: state and counts, Add account (R01, R02 refusals inline), Synchronize
licenses (R14), Remove pools (R11), and who may use them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mspweb.extensions import db
from mspweb.models import Account, Company, SyncRun
from tests.page_helpers import HX, make_account, make_company, make_licenses, make_run, signed_in


def _card(html: str, account: Account) -> str:
    start = html.index(f'id="account-{account.id}"')
    return html[start : html.index("</article>", start)]


def test_accounts_page_shows_kind_state_last_and_next_sync_and_counts(app, admin_client):
    app.config["DAILY_SYNC_HOUR"] = 3
    synced = make_account(
        "Northwind MSP",
        kind="mixed",
        last_success_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        last_sync_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        last_sync_status="succeeded",
    )
    make_licenses(make_company(synced, "Alpha", 1007), 3)
    make_licenses(make_company(synced, "Bravo", 1007), 2)
    broken = make_account(
        "Fabrikam Holdings",
        credentials_valid=False,
        last_sync_status="failed",
        last_sync_error="The portal rejected the username or password.",
    )
    gone = make_account("Old MSP", state="disconnected")
    html = admin_client.get("/accounts").text
    card = _card(html, synced)
    assert "MSP and business portals" in card and "Synchronized" in card
    assert "2026-01-02 03:04 UTC" in card and "03:00 UTC" in card
    assert (
        '<dt>Pools</dt><dd class="num">2</dd>' in card
        and '<dt>Licenses</dt><dd class="num">5</dd>' in card
    )
    assert "Credentials no longer valid" in _card(html, broken)
    gone_card = _card(html, gone)
    assert "Disconnected" in gone_card and "None (disconnected)" in gone_card


def test_an_account_with_a_sync_in_progress_shows_synchronizing_and_its_live_status(
    app, admin_client
):
    account = make_account()
    run = make_run(account, "running", phase="licenses")
    card = _card(admin_client.get("/accounts").text, account)
    assert (
        "Synchronizing" in card
        and f'id="sync-run-{run.id}"' in card
        and 'hx-trigger="load delay:1s"' in card
    )


def test_each_account_shows_its_latest_sync_outcome_and_reloads_when_a_sync_ends(app, admin_client):
    account = make_account()
    make_run(account, "failed", error="old failure")
    make_run(account, "succeeded", licenses_added=7)
    html = admin_client.get("/accounts").text
    card = _card(html, account)
    assert "7 added" in card and "old failure" not in card and "load delay:1s" not in card
    assert 'hx-trigger="accounts-changed from:body, licenses-changed from:body"' in html


def test_add_account_form_opens_as_a_fragment_and_as_a_page(app, admin_client):
    fragment = admin_client.get("/accounts/new", headers=HX)
    assert (
        fragment.status_code == 200
        and "<html" not in fragment.text
        and 'name="csrf_token"' in fragment.text
    )
    page = admin_client.get("/accounts/new")
    assert (
        "<html" in page.text
        and 'id="account-form"' in page.text
        and 'id="accounts-list"' in page.text
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"username": "u", "password": "p"},
            "Enter the MSP portal URL, the business portal URL, or both.",
        ),
        ({"msp_url": "not a url", "username": "u", "password": "p"}, "Enter a full web address"),
        (
            {"msp_url": "ftp://portal.example", "username": "u", "password": "p"},
            "Enter a full web address",
        ),
        (
            {"msp_url": "https://portal.example", "password": "p"},
            "Enter the account&#39;s username.",
        ),
    ],
)
def test_add_account_checks_its_fields_and_answers_422_inline(app, admin_client, data, message):
    response = admin_client.post("/accounts/new", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.text and "<html" not in response.text
    assert db.session.query(Account).count() == 0


def test_add_account_never_echoes_the_password(app, admin_client):
    response = admin_client.post(
        "/accounts/new",
        headers=HX,
        data={"msp_url": "nope", "username": "u", "password": "secret-pass-123"},
    )
    assert response.status_code == 422 and "secret-pass-123" not in response.text


def _add(client, sandbox, name: str, password: str | None = None, **urls):
    demo = sandbox.accounts[name]
    data = {
        "msp_url": sandbox.msp_url,
        "username": demo.username,
        "password": password or demo.password,
    }
    data.update(urls)
    return client.post("/accounts/new", data=data, headers=HX)


def test_adding_an_account_shows_its_first_sync_live(fast_portal, sandbox, admin_client):
    response = _add(admin_client, sandbox, "northwind", business_url=sandbox.business_url)
    assert response.status_code == 200, response.text
    assert response.headers["HX-Retarget"] == "#accounts-list"
    account = db.session.query(Account).one()
    run = db.session.query(SyncRun).one()
    assert f"Account {account.name} imported" in response.text
    assert (
        f'id="sync-run-{run.id}"' in response.text and 'hx-trigger="load delay:1s"' in response.text
    )
    assert 'id="add-account" hx-swap-oob="innerHTML"' in response.text


def test_adding_an_account_without_javascript_goes_to_the_sync_status_page(
    fast_portal, sandbox, admin_client
):
    demo = sandbox.accounts["fabrikam"]
    response = admin_client.post(
        "/accounts/new",
        data={"msp_url": sandbox.msp_url, "username": demo.username, "password": demo.password},
    )
    run = db.session.query(SyncRun).one()
    assert response.status_code == 302 and response.location.endswith(f"/syncs/{run.id}/status")


@pytest.mark.parametrize(
    ("name", "password", "reason", "words"),
    [
        ("contoso", None, "distributor_or_other_type", "Distributor"),
        ("adatum", None, "no_read_permission", "read"),
        ("fabrikam", "wrong-password", "bad_credentials", "rejected the username or password"),
    ],
)
def test_r01_r02_refusals_come_back_inline_on_the_form(
    fast_portal, sandbox, admin_client, name, password, reason, words
):
    """R01 (Distributor), R02 (no read permission), bad credentials: 422 in the service's words."""
    response = _add(admin_client, sandbox, name, password)
    assert response.status_code == 422
    assert f'data-reason="{reason}"' in response.text and words in response.text
    assert 'id="account-form"' in response.text and "<html" not in response.text
    assert db.session.query(Account).count() == 0


def test_an_unreachable_portal_is_refused_inline(fast_portal, sandbox, admin_client):
    response = _add(admin_client, sandbox, "fabrikam", msp_url="http://127.0.0.1:9/msp")
    assert response.status_code == 422 and 'data-reason="unreachable"' in response.text


def test_a_duplicate_account_is_refused_inline(fast_portal, sandbox, admin_client):
    assert _add(admin_client, sandbox, "fabrikam").status_code == 200
    again = _add(admin_client, sandbox, "fabrikam")
    assert again.status_code == 422 and 'data-reason="duplicate"' in again.text
    assert "already been imported" in again.text


def test_r14_pressing_synchronize_twice_starts_one_run(app, admin_client):
    account = make_account()
    first = admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    second = admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    run = db.session.query(SyncRun).one()
    for response in (first, second):
        assert response.status_code == 200 and "<html" not in response.text
        assert (
            f'id="sync-run-{run.id}"' in response.text
            and 'hx-trigger="load delay:1s"' in response.text
        )


def test_r14_synchronize_is_never_a_get_and_needs_csrf(app, admin_client):
    account = make_account()
    assert admin_client.get(f"/accounts/{account.id}/sync").status_code == 405
    assert admin_client.post(f"/accounts/{account.id}/sync", csrf=False).status_code == 400
    assert db.session.query(SyncRun).count() == 0


def test_r14_synchronize_without_javascript_redirects_to_the_status_page(app, admin_client):
    account = make_account()
    response = admin_client.post(f"/accounts/{account.id}/sync")
    run = db.session.query(SyncRun).one()
    assert response.status_code == 302 and response.location.endswith(f"/syncs/{run.id}/status")


def _pools_world():
    account = make_account("Northwind MSP")
    msp = make_company(account, "Northwind MSP", 1005)
    make_licenses(make_company(account, "Alpha Bakery", 1007, msp), 3)
    make_licenses(make_company(account, "Bravo Builders", 1007, msp), 2)
    return account


def test_r11_remove_pools_confirmation_names_the_account_and_the_counts(app, admin_client):
    account = _pools_world()
    fragment = admin_client.get(f"/accounts/{account.id}/remove-pools", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Remove the pools of Northwind MSP?" in fragment.text
    assert 'data-pools="2"' in fragment.text and 'data-licenses="5"' in fragment.text
    assert "Remove 2 pools and 5 licenses" in fragment.text
    page = admin_client.get(f"/accounts/{account.id}/remove-pools")
    assert "<html" in page.text and "Remove 2 pools and 5 licenses" in page.text


def test_r11_removing_pools_reports_the_counts_and_unlinks_the_companies(app, admin_client):
    account = _pools_world()
    response = admin_client.post(f"/accounts/{account.id}/remove-pools", headers=HX)
    assert response.status_code == 200
    assert "Removed 2 pools and 5 licenses of Northwind MSP" in response.text
    assert (
        "licenses-changed" in response.headers["HX-Trigger"]
        and "accounts-changed" in response.headers["HX-Trigger"]
    )
    db.session.expire_all()
    assert all(company.is_unlinked for company in db.session.query(Company))
    card = _card(admin_client.get("/accounts").text, account)
    assert "Disconnected" in card and "Remove pools" not in card
    assert "Unlinked" in admin_client.get("/computers").text


def test_r11_remove_pools_is_refused_while_a_sync_runs(app, admin_client):
    account = _pools_world()
    make_run(account, "running")
    response = admin_client.post(f"/accounts/{account.id}/remove-pools", headers=HX)
    assert response.status_code == 409 and "running" in response.text
    assert db.session.query(Company).filter(Company.unlinked_at.is_not(None)).count() == 0


def test_operators_get_403_and_customer_users_404_on_every_accounts_url(app):
    account = _pools_world()
    msp = db.session.query(Company).filter_by(name="Northwind MSP").one()
    alpha = db.session.query(Company).filter_by(name="Alpha Bakery").one()
    for browser, expected in (
        (signed_in(app, "operator", msp), 403),
        (signed_in(app, "customer", alpha), 404),
    ):
        assert browser.get("/accounts").status_code == expected
        assert browser.get("/accounts/new").status_code == expected
        assert browser.get(f"/accounts/{account.id}/remove-pools").status_code == expected
        forged = [
            browser.post(f"/accounts/{account.id}/sync", headers=HX),
            browser.post(f"/accounts/{account.id}/remove-pools", headers=HX),
            browser.post(
                "/accounts/new",
                data={"msp_url": "https://x.example", "username": "u", "password": "p"},
            ),
        ]
        assert [response.status_code for response in forged] == [expected] * 3
        assert 'href="/accounts"' not in browser.get("/").text
    assert db.session.query(SyncRun).count() == 0
    assert db.session.query(Company).filter(Company.unlinked_at.is_not(None)).count() == 0


def test_an_unknown_account_is_404(app, admin_client):
    assert admin_client.post("/accounts/999/sync", headers=HX).status_code == 404
    assert admin_client.get("/accounts/999/remove-pools").status_code == 404
