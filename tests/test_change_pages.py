"""The Changes pages (issue 11): a run's Changes, an account's timeline, the CSV export, the
History of a license and of a customer, and their scoping (R12)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Company, License, SyncRun
from tests.page_helpers import HX
from tests.plugins.sync import sync_now
from tests.scoping_world import build_scoping_world


def _changed_account(import_demo, sandbox):
    """Northwind, synchronized again after a rename (to a formula), a usage change and a new
    license; returns (account, the second run's id, the usage license's key)."""
    account = import_demo()
    control = sandbox.control
    formula = control.company('=HYPERLINK("x") Corp')
    control.rename_company(formula["id"], "=SUM(A1:A9) Corp")
    key = control.licenses("northwind")[0]["publicLicenseKey"]
    control.set_license(key, usage=4242)
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded"
    return account, outcome["run_id"], key


def test_a_runs_changes_are_grouped_filtered_paged_and_exported(import_demo, sandbox, admin_client):
    account, run_id, key = _changed_account(import_demo, sandbox)
    page = admin_client.get(f"/syncs/{run_id}/changes")
    assert page.status_code == 200
    text = page.text
    assert text.count("<h1") == 1
    assert "Renamed from “=HYPERLINK(&#34;x&#34;) Corp” to “=SUM(A1:A9) Corp”" in text
    assert "Usage:" in text and "4242" in text and key in text
    assert "Company renamed: 1" in text and "License changed: 1" in text
    fragment = admin_client.get(f"/syncs/{run_id}/changes?kind=company.renamed", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="change-panel"' in fragment.text
    assert "Renamed from" in fragment.text and key not in fragment.text
    exported = admin_client.get(f"/syncs/{run_id}/changes.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["When", "Run", "Kind"]
    renamed = next(row for row in rows if row[2] == "Company renamed")
    assert renamed[8:] == ['\'=HYPERLINK("x") Corp', "'=SUM(A1:A9) Corp"]  # neutralised
    assert renamed[3] == "'=SUM(A1:A9) Corp"
    usage = next(row for row in rows if row[7] == "usage")
    assert usage[5] == key and usage[9] == "4242"
    # the sync status page has the Changes section, loaded from the run's changes
    status = admin_client.get(f"/syncs/{run_id}/status").text
    assert f'hx-get="/syncs/{run_id}/changes"' in status and ">Changes</h2>" in status


def test_an_accounts_changes_filter_by_kind_customer_product_and_date(
    import_demo, sandbox, admin_client
):
    account, run_id, key = _changed_account(import_demo, sandbox)
    url = f"/accounts/{account.id}/changes"
    everything = admin_client.get(url).text
    assert "License added" in everything and "Renamed from" in everything
    by_customer = admin_client.get(url, query_string={"customer": "SUM(A1"}).text
    assert "Renamed from" in by_customer and key not in by_customer
    product = db.session.scalar(select(License.product_name).where(License.public_key == key))
    by_product = admin_client.get(url, query_string={"product": product, "kind": "license.changed"})
    assert key in by_product.text and "Renamed from" not in by_product.text
    future = admin_client.get(url, query_string={"since": "2999-01-01"}).text
    assert "No change matches these filters." in future
    bad = admin_client.get(url, query_string={"since": "yesterday", "kind": "nope", "page": "x"})
    assert bad.status_code == 200  # invalid filters are ignored, never a 500
    exported = admin_client.get(f"{url}.csv", query_string={"kind": "company.renamed"}).text
    assert len(list(csv.reader(io.StringIO(exported)))) == 2
    assert admin_client.get("/changes").status_code == 200
    assert f"/accounts/{account.id}/changes" in admin_client.get("/changes").text


def test_license_history_shows_its_changes_and_peoples_tag_edits(
    import_demo, sandbox, admin_client
):
    account, run_id, key = _changed_account(import_demo, sandbox)
    license_id = db.session.scalar(select(License.id).where(License.public_key == key))
    added = admin_client.post(f"/licenses/{license_id}/tags", data={"name": "VIP customer"})
    assert added.status_code in (200, 302), added.text
    page = admin_client.get(f"/licenses/{license_id}/history")
    assert page.status_code == 200
    assert "4242" in page.text and "Tag “VIP customer” added" in page.text
    assert page.text.index("VIP customer") < page.text.index("4242")  # newest first
    assert "License added" in page.text
    fragment = admin_client.get(f"/licenses/{license_id}/history", headers=HX).text
    assert "<html" not in fragment and "history-panel" in fragment


def test_customer_history_shows_renames_and_its_licenses_changes(
    import_demo, sandbox, admin_client
):
    account, run_id, key = _changed_account(import_demo, sandbox)
    renamed = db.session.scalars(select(Company).where(Company.name == "=SUM(A1:A9) Corp")).one()
    text = admin_client.get(f"/customers/{renamed.id}/history").text
    assert "Renamed from" in text and "Company added" in text and "License added" in text
    owner = db.session.scalars(
        select(Company)
        .join(License, License.company_id == Company.id)
        .where(License.public_key == key)
    ).one()
    assert "4242" in admin_client.get(f"/customers/{owner.id}/history").text


def test_r12_change_lists_keep_the_operator_to_its_subtree(app, import_demo, sandbox):
    world = build_scoping_world(app, import_demo, sandbox)
    run_id = db.session.scalar(
        select(SyncRun.id).where(SyncRun.account_id == world.fabrikam.id).order_by(SyncRun.id)
    )
    operator = world.clients["operator"]
    for url in (
        f"/syncs/{run_id}/changes",
        f"/accounts/{world.fabrikam.id}/changes?kind=company.added",
        f"/syncs/{run_id}/changes.csv",
        f"/accounts/{world.fabrikam.id}/changes.csv",
    ):
        text = operator.get(url).text
        assert world.customer_a.name in text, url
        assert world.customer_n.name not in text, url
    admin_text = world.clients["admin"].get(f"/syncs/{run_id}/changes.csv").text
    assert world.customer_n.name in admin_text
    # customer users: their own company's history and licenses, nobody else's
    own_license = db.session.scalar(
        select(License.id).where(License.company_id == world.customer_a.id)
    )
    customer = world.clients["a"]
    assert customer.get(f"/customers/{world.customer_a.id}/history").status_code == 200
    assert customer.get(f"/licenses/{own_license}/history").status_code == 200
    assert customer.get(f"/customers/{world.customer_n.id}/history").status_code == 404
    assert customer.get(f"/syncs/{run_id}/changes").status_code == 404
    assert customer.get(f"/accounts/{world.fabrikam.id}/changes").status_code == 404


def test_a_bulk_tag_edit_shows_in_the_history_of_each_license_it_changed(
    import_demo, sandbox, admin_client
):
    account = import_demo()
    ids = list(
        db.session.scalars(
            select(License.id).where(License.account_id == account.id).order_by(License.id).limit(3)
        )
    )
    response = admin_client.post(
        "/licenses/tags", data={"license": ids[:2], "name": "Renewal 2027", "action": "add"}
    )
    assert response.status_code in (200, 302), response.text
    assert (
        "“Renewal 2027” added (bulk edit)" in admin_client.get(f"/licenses/{ids[0]}/history").text
    )
    assert "Renewal 2027" not in admin_client.get(f"/licenses/{ids[2]}/history").text


def test_customer_history_shows_its_moves_status_and_setup(import_demo, sandbox, admin_client):
    from mspweb.customers.setup import SetupMode, set_up_customer

    control = sandbox.control
    root = control.root("northwind")
    division = control.add_company(root["id"], "Division West", type=1003)["id"]
    account = import_demo()
    portal = control.company("First Water AG")
    company = db.session.scalars(select(Company).where(Company.portal_id == portal["id"])).one()
    set_up_customer(
        company, SetupMode.CREATE, "first@water.example", "first-water-pw-1", None, None
    )
    db.session.commit()
    control.update_company(portal["id"], parent_id=division)
    control.update_company(portal["id"], status=2)
    assert sync_now(account)["status"] == "succeeded"
    text = admin_client.get(f"/customers/{company.id}/history").text
    assert f"Moved: parent {root['id']} → {division}" in text
    assert "Portal status 1 → 2" in text
    assert "Set up: login first@water.example" in text
    assert "Company added" in text and "License added" in text
