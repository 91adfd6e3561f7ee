"""Customer setup across synchronizations, on the sandbox portal: "Skip setup for all new
customers" is honoured by the next syncs (R17), and a set-up customer that disappears from the
portal becomes unlinked while its people can still sign in (R15, R20, R12)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Company
from tests.conftest import CSRFClient, login
from tests.page_helpers import HX
from tests.plugins.sync import sync_now


def _company(account, name: str) -> Company:
    return db.session.scalar(
        select(Company).where(Company.account_id == account.id, Company.name == name)
    )


def _row(html: str, company: Company) -> str:
    return html[html.index(f'id="customer-{company.id}"') :].split("</tr>")[0]


def test_r17_skip_setup_for_all_new_customers_is_honoured_by_the_next_syncs(
    app, admin_client, import_demo, sandbox
):
    account = import_demo("fabrikam")
    alpine = sandbox.control.company("Fabrikam Alpine", "fabrikam")["id"]
    before = {
        company.id: company.setup_state
        for company in db.session.scalars(select(Company).where(Company.account_id == account.id))
    }
    toggle = admin_client.post(
        f"/accounts/{account.id}/skip-setup-for-new", data={"enabled": "1"}, headers=HX
    )
    assert toggle.status_code == 200 and "Turn off" in toggle.text
    sandbox.control.add_company(alpine, "Newcomer Skipped GmbH")
    assert sync_now(account)["status"] == "succeeded"
    newcomer = _company(account, "Newcomer Skipped GmbH")
    assert newcomer.setup_state == "skipped" and newcomer.customer_status.value == "set_up"
    row = _row(admin_client.get("/customers?q=Newcomer").text, newcomer)
    assert "Set up" in row and "(setup skipped)" in row
    existing = {
        company.id: company.setup_state
        for company in db.session.scalars(select(Company).where(Company.id.in_(before)))
    }
    assert existing == before  # the setting changes new customers only

    admin_client.post(f"/accounts/{account.id}/skip-setup-for-new", data={"enabled": "0"})
    sandbox.control.add_company(alpine, "Latecomer Waiting Ltd")
    assert sync_now(account)["status"] == "succeeded"
    latecomer = _company(account, "Latecomer Waiting Ltd")
    assert latecomer.setup_state == "not_set_up"
    assert "Not set up" in _row(admin_client.get("/customers?q=Latecomer").text, latecomer)


def test_r15_people_of_an_unlinked_customer_still_sign_in_and_see_it_unlinked(
    app, admin_client, import_demo, sandbox
):
    account = import_demo("fabrikam")
    portal_company = next(
        company
        for company in sandbox.control.companies("fabrikam")
        if company["type"] == 1007 and company.get("licenseCount")
    )
    customer = _company(account, portal_company["name"])
    setup = admin_client.post(
        f"/customers/{customer.id}/setup",
        data={"mode": "create", "email": "people@customer.example", "password": "customer-pass-1"},
    )
    assert setup.status_code == 200
    sandbox.control.remove_company(portal_company["id"])
    assert sync_now(account)["status"] == "succeeded"
    db.session.refresh(customer)
    assert customer.is_unlinked and customer.customer_status.value == "unlinked"

    browser = CSRFClient(app, app.response_class, use_cookies=True)
    assert login(browser, "people@customer.example", "customer-pass-1").status_code == 302
    dashboard = browser.get("/").text
    assert "is no longer managed through this console" in dashboard
    table = browser.get("/licenses").text
    assert customer.name in table and "status-unlinked" in table
    rows = list(csv.DictReader(io.StringIO(browser.get("/licenses/export.csv").text)))
    assert rows and {row["Status"] for row in rows} == {"Unlinked"}
    assert {row["License User"] for row in rows} == {customer.name}
    # and it cannot be set up again, nor skipped: it is no longer managed
    assert admin_client.get(f"/customers/{customer.id}/setup").status_code == 409
    assert "Unlinked" in _row(admin_client.get(f"/customers?q={customer.name}").text, customer)
