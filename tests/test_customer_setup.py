"""Customer setup (R17): the wizard on Managed Customers, its refusals, skipping, and the
account setting "Skip setup for all new customers". Each login it makes is confined (R12)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import AuditEntry, Company, User
from mspweb.models.base import utcnow
from tests.conftest import CSRFClient, login, make_user
from tests.page_helpers import (
    HX,
    make_account,
    make_company,
    make_licenses,
    mark_synchronized,
    signed_in,
)


def _customers():
    """An MSP with a customer to set up (with licenses), a second one, and an unlinked one."""
    account = make_account("Northwind MSP")
    msp = make_company(account, "Northwind MSP", 1005)
    bakery = make_company(account, "Alpha Bakery", 1007, msp)
    make_licenses(bakery, 2)
    builders = make_company(account, "Bravo Builders", 1007, msp)
    make_licenses(builders, 3)
    gone = make_company(account, "Delta Dental", 1007, msp, unlinked_at=utcnow())
    mark_synchronized(account)
    return {"account": account, "msp": msp, "bakery": bakery, "builders": builders, "gone": gone}


def _browser(app) -> CSRFClient:
    app.test_client_class = CSRFClient
    return app.test_client()


def _audits(action: str) -> list[tuple[str, str]]:
    return db.session.execute(
        select(AuditEntry.target, AuditEntry.outcome)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    ).all()


def test_r17_admin_sets_up_a_customer_and_sees_the_generated_password_once(app, admin_client):
    world = _customers()
    bakery = world["bakery"]
    row = admin_client.get("/customers").text
    assert f'href="/customers/{bakery.id}/setup"' in row  # "Set up" on the not-set-up row
    form = admin_client.get(f"/customers/{bakery.id}/setup")
    assert form.status_code == 200
    assert 'value="Customers / Alpha Bakery"' in form.text and "Link an existing login" in form.text
    summary = admin_client.post(
        f"/customers/{bakery.id}/setup",
        data={
            "mode": "create",
            "email": "Owner@Alpha.example",
            "group_name": "Customers / Alpha Bakery",
        },
    )
    assert summary.status_code == 200
    assert summary.headers["Cache-Control"] == "no-store"
    password = re.search(r'class="generated-password">([^<]+)<', summary.text).group(1)
    assert len(password) >= 16
    assert "owner@alpha.example" in summary.text and "created" in summary.text
    assert "Customers / Alpha Bakery" in summary.text
    user = db.session.scalar(select(User).where(User.email == "owner@alpha.example"))
    assert (user.role, user.company_id) == ("customer", bakery.id)
    assert password not in user.password_hash
    db.session.refresh(bakery)
    assert (bakery.setup_state, bakery.group_name) == ("set_up", "Customers / Alpha Bakery")
    assert bakery.setup_at is not None and bakery.customer_status.value == "set_up"
    assert _audits("customer.setup") == [("Alpha Bakery", "ok")]
    # shown once: the setup cannot be run again, and no page shows the password
    again = admin_client.get(f"/customers/{bakery.id}/setup")
    assert again.status_code == 409 and "already set up" in again.text
    assert password not in admin_client.get("/customers").text
    assert password not in admin_client.get("/audit").text
    # the new login works and sees its own licenses only (R12)
    customer = _browser(app)
    assert login(customer, "owner@alpha.example", password).status_code == 302
    licenses = customer.get("/licenses").text
    assert "Alpha Bakery" in licenses and "Bravo Builders" not in licenses
    assert customer.get("/customers").status_code == 404


def test_r17_the_administrator_can_set_the_password(app, admin_client):
    bakery = _customers()["bakery"]
    summary = admin_client.post(
        f"/customers/{bakery.id}/setup",
        headers=HX,
        data={"mode": "create", "email": "owner@alpha.example", "password": "chosen-password-9"},
    )
    assert summary.status_code == 200 and "<html" not in summary.text  # the fragment
    assert "chosen-password-9" not in summary.text and "generated-password" not in summary.text
    assert login(_browser(app), "owner@alpha.example", "chosen-password-9").status_code == 302


def test_r17_the_group_shows_in_the_computers_tree(app, admin_client):
    world = _customers()
    bakery = world["bakery"]
    admin_client.post(
        f"/customers/{bakery.id}/setup",
        data={"mode": "create", "email": "owner@alpha.example", "group_name": ""},
    )
    tree = admin_client.get(f"/computers/{world['msp'].id}/children", headers=HX).text
    assert "group Customers / Alpha Bakery" in tree


def test_r17_invalid_input_comes_back_on_the_form_with_422(app, admin_client):
    world = _customers()
    bakery = world["bakery"]
    make_user("taken@example.com", "a-long-password", "customer", world["builders"])
    url = f"/customers/{bakery.id}/setup"
    cases = {
        "Enter the email": {"mode": "create", "email": ""},
        "not a valid email": {"mode": "create", "email": "not-an-email"},
        "at least 8 characters": {
            "mode": "create",
            "email": "a@alpha.example",
            "password": "short",
        },
        "Link an existing login": {"mode": "create", "email": "taken@example.com"},
        "Not a valid choice": {"mode": "replace", "email": "a@alpha.example"},
    }
    for message, data in cases.items():
        response = admin_client.post(url, data=data, headers=HX)
        assert response.status_code == 422, message
        assert message in response.text and "<html" not in response.text, message
        assert 'id="customer-setup"' in response.text
    db.session.refresh(bakery)
    assert bakery.setup_state == "not_set_up"
    assert db.session.scalar(select(func.count(User.id))) == 2  # the admin and "taken"


def test_r17_linking_an_existing_login_follows_the_rule(app, admin_client, admin):
    world = _customers()
    bakery, builders, gone = world["bakery"], world["builders"], world["gone"]
    make_user("operator@msp.example", "a-long-password", "operator", world["msp"])
    make_user("builders@example.com", "a-long-password", "customer", builders)
    make_user("dental@example.com", "a-long-password", "customer", gone)
    url = f"/customers/{bakery.id}/setup"
    refusals = {
        "nobody@example.com": "There is no login",
        admin.email: "staff logins cannot be confined",
        "operator@msp.example": "staff logins cannot be confined",
        "builders@example.com": "another managed customer (Bravo Builders)",
    }
    for email, message in refusals.items():
        response = admin_client.post(url, data={"mode": "link", "email": email}, headers=HX)
        assert response.status_code == 422 and message in response.text, email
    assert [outcome for _, outcome in _audits("customer.setup")] == ["refused"] * 4
    # a login of an unlinked customer moves to the new one, keeping its password
    linked = admin_client.post(url, data={"mode": "link", "email": "dental@example.com"})
    assert linked.status_code == 200
    assert "linked from Delta Dental, which is unlinked" in linked.text
    assert "generated-password" not in linked.text
    user = db.session.scalar(select(User).where(User.email == "dental@example.com"))
    assert (user.role, user.company_id) == ("customer", bakery.id)
    assert login(_browser(app), "dental@example.com", "a-long-password").status_code == 302


def test_r17_a_login_made_on_the_command_line_can_be_linked_to_its_own_customer(admin_client):
    bakery = _customers()["bakery"]
    make_user("cli@alpha.example", "a-long-password", "customer", bakery)
    response = admin_client.post(
        f"/customers/{bakery.id}/setup", data={"mode": "link", "email": "cli@alpha.example"}
    )
    assert response.status_code == 200 and "cli@alpha.example" in response.text
    assert db.session.get(Company, bakery.id).setup_state == "set_up"


def test_r17_setting_up_an_unlinked_customer_is_refused_with_the_reason(app, admin_client):
    gone = _customers()["gone"]
    html = admin_client.get("/customers").text
    row = html[html.index(f'id="customer-{gone.id}"') :].split("</tr>")[0]
    assert "/setup" not in row and "Skip setup" not in row  # neither is offered
    for response in (
        admin_client.get(f"/customers/{gone.id}/setup"),
        admin_client.post(
            f"/customers/{gone.id}/setup", data={"mode": "create", "email": "x@dental.example"}
        ),
        admin_client.post(
            f"/customers/{gone.id}/setup",
            headers=HX,
            data={"mode": "create", "email": "x@dental.example"},
        ),
    ):
        assert response.status_code == 409
        assert "Delta Dental is unlinked" in response.text
        assert "removed in the license portal" in response.text
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.get(Company, gone.id).setup_state == "not_set_up"


def test_r17_only_administrators_run_the_setup(app):
    world = _customers()
    bakery = world["bakery"]
    operator = signed_in(app, "operator", world["msp"])  # the customer is in its subtree
    assert f"/customers/{bakery.id}/setup" not in operator.get("/customers").text
    assert "Skip setup" in operator.get("/customers").text  # skipping is for operators too
    assert operator.get(f"/customers/{bakery.id}/setup").status_code == 403
    assert (
        operator.post(
            f"/customers/{bakery.id}/setup", data={"mode": "create", "email": "x@alpha.example"}
        ).status_code
        == 403
    )
    customer = signed_in(app, "customer", world["builders"])
    assert customer.get(f"/customers/{bakery.id}/setup").status_code == 404
    assert db.session.get(Company, bakery.id).setup_state == "not_set_up"


def test_r17_skip_setup_for_one_customer_and_create_its_login_later(app, admin_client):
    bakery = _customers()["bakery"]
    skipped = admin_client.post(f"/customers/{bakery.id}/skip-setup", headers=HX)
    assert skipped.status_code == 200 and "setup skipped" in skipped.text
    assert db.session.get(Company, bakery.id).customer_status.value == "set_up"
    assert db.session.scalar(select(func.count(User.id))) == 1  # no login was made
    assert f'href="/customers/{bakery.id}/setup"' in skipped.text  # "Create login"
    later = admin_client.post(
        f"/customers/{bakery.id}/setup", data={"mode": "create", "email": "late@alpha.example"}
    )
    assert later.status_code == 200
    assert db.session.get(Company, bakery.id).setup_state == "set_up"


def test_r17_the_skip_setup_for_all_new_customers_setting(app, admin_client):
    world = _customers()
    account = world["account"]
    page = admin_client.get("/accounts").text
    assert "Skip setup for all new customers" in page and "Turn on" in page
    url = f"/accounts/{account.id}/skip-setup-for-new"
    turned_on = admin_client.post(url, data={"enabled": "1"}, headers=HX)
    assert turned_on.status_code == 200 and "<html" not in turned_on.text
    assert "Turn off" in turned_on.text and 'aria-pressed="true"' in turned_on.text
    db.session.refresh(account)
    assert account.skip_setup_for_new is True
    assert admin_client.post(url, data={"enabled": "0"}).status_code == 302
    db.session.refresh(account)
    assert account.skip_setup_for_new is False
    assert _audits("account.skip_setup_for_new") == [("Northwind MSP", "ok")] * 2
    assert (
        signed_in(app, "operator", world["msp"]).post(url, data={"enabled": "1"}).status_code == 403
    )
    assert (
        signed_in(app, "customer", world["bakery"]).post(url, data={"enabled": "1"}).status_code
        == 404
    )
    db.session.refresh(account)
    assert account.skip_setup_for_new is False


def test_r17_the_command_line_sets_up_a_customer_for_scripted_setups(app):
    world = _customers()
    bakery, gone = world["bakery"], world["gone"]
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "script@alpha.example",
            "--password",
            "long-enough-1",
            "--role",
            "customer",
            "--company",
            bakery.portal_id,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "confined to Alpha Bakery" in result.output
    db.session.refresh(bakery)
    assert (bakery.setup_state, bakery.group_name) == ("set_up", "Customers / Alpha Bakery")
    assert _audits("customer.setup") == [("Alpha Bakery", "ok")]
    refused = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "script@dental.example",
            "--password",
            "long-enough-1",
            "--role",
            "customer",
            "--company",
            gone.portal_id,
        ]
    )
    assert refused.exit_code != 0 and "Delta Dental is unlinked" in refused.output
    assert db.session.scalar(select(func.count(User.id))) == 1
