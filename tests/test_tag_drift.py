"""Tag drift (issue 11, R09, R19): licenses still tagged with a former company name, the fix
a person makes (only that company's licenses), its audit entry and its undo; tag names as long
as company names (R06)."""

from __future__ import annotations

import json

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import AuditEntry, Company, License
from tests.licenses_world import tag_names_of
from tests.page_helpers import HX
from tests.plugins.sync import sync_now
from tests.scoping_world import build_scoping_world


def _keys_of(company: Company) -> list[str]:
    return sorted(
        db.session.scalars(select(License.public_key).where(License.company_id == company.id))
    )


def _cli(app, *args: str):
    result = app.test_cli_runner().invoke(args=["tags", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _renamed(import_demo, sandbox, admin_client):
    """Cedar Water KG renamed to Cedar Water Group after the import; its old name also put by
    hand on a license of another company. Returns (account, company, the other license key)."""
    account = import_demo()
    portal = sandbox.control.company("Cedar Water KG")
    company = db.session.scalars(select(Company).where(Company.portal_id == portal["id"])).one()
    other = db.session.scalars(
        select(License).where(License.account_id == account.id, License.company_id != company.id)
    ).first()
    response = admin_client.post(f"/licenses/{other.id}/tags", data={"name": "Cedar Water KG"})
    assert response.status_code in (200, 302)
    sandbox.control.rename_company(portal["id"], "Cedar Water Group")
    assert sync_now(account)["companies_renamed"] == 1
    db.session.refresh(company)
    return account, company, other.public_key


def test_r19_a_rename_shows_up_in_drift_and_the_fix_moves_exactly_that_companys_licenses(
    app, import_demo, sandbox, admin_client
):
    account, company, other_key = _renamed(import_demo, sandbox, admin_client)
    keys = _keys_of(company)
    drift = json.loads(_cli(app, "drift", "--account", str(account.id), "--json"))
    assert drift == [
        {
            "company": company.portal_id,
            "current_name": "Cedar Water Group",
            "tag": "Cedar Water KG",
            "licenses": keys,
        }
    ]
    page = admin_client.get("/tags/drift").text
    assert (
        f"Cedar Water Group</a>:\n        {len(keys)} licenses still tagged “Cedar Water KG”"
        in page
    )
    count = f"Tag drift: {len(keys)} licenses of 1 renamed companies"
    assert count in admin_client.get("/tags").text and count in admin_client.get("/").text
    fixed = admin_client.post(
        "/tags/drift/fix", data={"company_id": company.id, "tag": "Cedar Water KG"}, headers=HX
    )
    assert fixed.status_code == 200 and f"on {len(keys)} licenses" in fixed.text
    for key in keys:
        names = tag_names_of(key)
        assert "Cedar Water Group" in names and "Cedar Water KG" not in names
    assert "Cedar Water KG" in tag_names_of(other_key)  # the same tag elsewhere stays
    assert json.loads(_cli(app, "drift", "--account", str(account.id), "--json")) == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "tag.drift_fix")).one()
    assert entry.details["licenses"] == keys and entry.actor == "admin@msp.example"
    license_id = db.session.scalar(select(License.id).where(License.public_key == keys[0]))
    history = admin_client.get(f"/licenses/{license_id}/history").text
    assert "renamed to “Cedar Water Group” (tag drift fix)" in history
    assert "Undo this fix" in admin_client.get("/audit").text
    # undo, from the audit entry: the former tag is back, the fix's tag gone
    undone = admin_client.post(f"/tags/drift/undo/{entry.id}", headers=HX)
    assert undone.status_code == 200, undone.text
    for key in keys:
        names = tag_names_of(key)
        assert "Cedar Water KG" in names and "Cedar Water Group" not in names
    again = admin_client.post(f"/tags/drift/undo/{entry.id}", headers=HX)
    assert again.status_code == 409 and "can no longer be undone" in again.text


def test_a_fix_cannot_be_undone_once_a_later_edit_touched_those_tags(
    app, import_demo, sandbox, admin_client
):
    account, company, _ = _renamed(import_demo, sandbox, admin_client)
    keys = _keys_of(company)
    assert admin_client.post("/tags/drift/fix", data={}).status_code == 302  # every row
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "tag.drift_fix")).one()
    license_id = db.session.scalar(select(License.id).where(License.public_key == keys[0]))
    admin_client.post(f"/licenses/{license_id}/tags", data={"name": "Later edit"})
    refused = admin_client.post(f"/tags/drift/undo/{entry.id}", headers=HX)
    assert refused.status_code == 409
    assert "Cedar Water Group" in tag_names_of(keys[0]) and "Later edit" in tag_names_of(keys[0])
    assert "Undo this fix" not in admin_client.get("/audit").text


def test_fix_drift_on_the_command_line_fixes_one_company_audited_as_the_command_line(
    app, import_demo, sandbox, admin_client
):
    account, company, _ = _renamed(import_demo, sandbox, admin_client)
    output = _cli(app, "fix-drift", "--account", str(account.id), "--company", company.portal_id)
    assert f"on {len(_keys_of(company))} licenses" in output
    assert json.loads(_cli(app, "drift", "--account", str(account.id), "--json")) == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "tag.drift_fix")).one()
    assert entry.actor == "command line"


def test_r12_operators_see_and_fix_drift_in_their_subtree_only(app, import_demo, sandbox):
    world = build_scoping_world(app, import_demo, sandbox)
    name_a, name_n = world.customer_a.name, world.customer_n.name
    for company in (world.customer_a, world.customer_n):
        sandbox.control.rename_company(company.portal_id, f"{company.name} Renamed")
    assert sync_now(world.fabrikam)["companies_renamed"] == 2
    operator = world.clients["operator"]
    page = operator.get("/tags/drift").text
    assert f"{name_a} Renamed" in page
    assert name_n not in page
    forged = operator.post("/tags/drift/fix", data={"company_id": world.customer_n.id})
    assert forged.status_code == 404
    assert world.clients["a"].get("/tags/drift").status_code == 404
    assert "Tag drift" not in world.clients["a"].get("/tags").text
    assert operator.post("/tags/drift/fix", data={}).status_code == 302
    admin_page = world.clients["admin"].get("/tags/drift").text
    assert f"{name_n} Renamed" in admin_page  # Nordics' drift is untouched
    assert f"{name_a} Renamed" not in admin_page


def test_r06_tags_hold_the_whole_company_name_and_forms_take_that_length(
    import_demo, sandbox, admin_client
):
    long_name = "Long Name Holding " + "x" * 300
    root = sandbox.control.root("northwind")
    company_id = sandbox.control.add_company(root["id"], long_name)["id"]
    key = sandbox.control.add_license(company_id, quantity=2)["publicLicenseKey"]
    import_demo()
    assert tag_names_of(key) == {long_name}
    license_id = db.session.scalar(select(License.id).where(License.public_key == key))
    accepted = admin_client.post(f"/licenses/{license_id}/tags", data={"name": "y" * 512})
    assert accepted.status_code in (200, 302)
    assert "y" * 512 in tag_names_of(key)
    refused = admin_client.post(
        f"/licenses/{license_id}/tags", data={"name": "z" * 513}, headers=HX
    )
    assert refused.status_code == 422
    assert "A tag name has at most 512 characters (513 given)." in refused.text
