"""Managed Customers (R15, R16): statuses in words, parent, licenses, search, filter, skip setup."""

from __future__ import annotations

from urllib.parse import urlsplit

from mspweb.extensions import db
from mspweb.models import AuditEntry, Company
from mspweb.models.base import utcnow
from tests.page_helpers import (
    HX,
    count_queries,
    make_account,
    make_company,
    make_licenses,
    mark_synchronized,
    signed_in,
)


def _customers():
    """An MSP with a customer in each status (R15), and a second MSP's customer."""
    account = make_account("Northwind MSP")
    msp = make_company(account, "Northwind MSP", 1005)
    fresh = make_company(account, "Alpha Bakery", 1007, msp)
    make_licenses(fresh, 2, quantity=10, usage=4)
    done = make_company(account, "Bravo Builders", 1007, msp, setup_state="set_up")
    skipped = make_company(account, "Charlie Cafe", 1007, msp, setup_state="skipped")
    gone = make_company(account, "Delta Dental", 1007, msp, unlinked_at=utcnow())
    other_msp = make_company(account, "Other MSP", 1006, msp)
    other = make_company(account, "Echo Energy", 1007, other_msp)
    make_licenses(other, 1, quantity=5, usage=9)
    mark_synchronized(account)
    return {
        "account": account,
        "msp": msp,
        "fresh": fresh,
        "done": done,
        "skipped": skipped,
        "gone": gone,
        "other_msp": other_msp,
        "other": other,
    }


def test_r16_before_the_first_sync_the_page_says_so(app, admin_client):
    make_company(make_account(), "Alpha Bakery", 1007)
    page = admin_client.get("/customers")
    assert page.status_code == 200
    assert "No account has been synchronized yet" in page.text
    assert "Alpha Bakery" not in page.text
    assert 'href="/customers"' not in page.text  # not in the menu yet either


def test_r16_after_the_first_sync_the_menu_shows_managed_customers(app, admin_client):
    _customers()
    assert 'href="/customers"' in admin_client.get("/").text


def test_r15_each_customer_shows_its_status_as_icon_and_words(app, admin_client):
    world = _customers()
    html = admin_client.get("/customers").text
    rows = {
        name: html[html.index(f'id="customer-{world[key].id}"') :].split("</tr>")[0]
        for key, name in (
            ("fresh", "Alpha"),
            ("done", "Bravo"),
            ("skipped", "Charlie"),
            ("gone", "Delta"),
        )
    }
    assert "Not set up" in rows["Alpha"] and "status-icon-not_set_up" in rows["Alpha"]
    assert "Set up" in rows["Bravo"] and "status-icon-set_up" in rows["Bravo"]
    assert "Set up" in rows["Charlie"] and "setup skipped" in rows["Charlie"]
    assert "Unlinked" in rows["Delta"] and "status-icon-unlinked" in rows["Delta"]
    assert "Skip setup" in rows["Alpha"] and "Skip setup" not in rows["Delta"]
    assert "Other MSP" not in rows["Alpha"] and "Northwind MSP" in rows["Alpha"]  # parent MSP


def test_customers_show_license_count_and_seat_usage(app, admin_client):
    world = _customers()
    html = admin_client.get("/customers").text
    alpha = html[html.index(f'id="customer-{world["fresh"].id}"') :].split("</tr>")[0]
    assert '<td class="num">2</td>' in alpha and "8 / 20" in alpha
    echo = html[html.index(f'id="customer-{world["other"].id}"') :].split("</tr>")[0]
    assert "Other MSP" in echo and "overused" in echo and "9 / 5" in echo


def test_search_and_status_filter_live_in_the_url_and_reopen_as_a_full_page(app, admin_client):
    _customers()
    fragment = admin_client.get("/customers?q=bak&status=not_set_up", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Alpha Bakery" in fragment.text and "Bravo Builders" not in fragment.text
    page = admin_client.get("/customers?q=bak&status=not_set_up")
    assert "<html" in page.text and "Alpha Bakery" in page.text and "Echo Energy" not in page.text
    assert 'value="bak"' in page.text and '<option value="not_set_up" selected>' in page.text
    assert 'hx-push-url="true"' in page.text
    unlinked = admin_client.get("/customers?status=unlinked", headers=HX).text
    assert "Delta Dental" in unlinked and "Alpha Bakery" not in unlinked


def test_search_treats_wildcards_literally(app, admin_client):
    _customers()
    assert (
        "No customer matches this search" in admin_client.get("/customers?q=%25", headers=HX).text
    )


def test_customers_are_paged_and_the_pager_keeps_the_filters(app, admin_client):
    account = make_account("Big MSP")
    msp = make_company(account, "Big MSP", 1005)
    for index in range(55):
        make_company(account, f"Customer {index:02d}", 1007, msp)
    mark_synchronized(account)
    first = admin_client.get("/customers?q=customer").text
    assert "Customer 49" in first and "Customer 50" not in first and "Page 1 of 2" in first
    assert 'href="/customers?q=customer&amp;page=2"' in first
    second = admin_client.get("/customers?q=customer&page=2").text
    assert "Customer 54" in second and "Customer 00" not in second


def test_r15_skip_setup_marks_a_customer_set_up(app, admin_client):
    world = _customers()
    response = admin_client.post(f"/customers/{world['fresh'].id}/skip-setup", headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<tr") and "Set up" in response.text
    assert "Skip setup" not in response.text and "setup skipped" in response.text
    db.session.expire_all()
    assert db.session.get(Company, world["fresh"].id).setup_state == "skipped"
    assert (
        db.session.query(AuditEntry).filter_by(action="customer.skip_setup", outcome="ok").count()
        == 1
    )


def test_r15_skip_setup_is_refused_for_an_unlinked_customer(app, admin_client):
    world = _customers()
    response = admin_client.post(f"/customers/{world['gone'].id}/skip-setup", headers=HX)
    assert response.status_code == 422
    assert "is unlinked" in response.text and "Unlinked" in response.text
    db.session.expire_all()
    assert db.session.get(Company, world["gone"].id).setup_state == "not_set_up"


def test_skip_setup_without_javascript_redirects_with_a_message(app, admin_client):
    world = _customers()
    response = admin_client.post(f"/customers/{world['fresh'].id}/skip-setup")
    assert response.status_code == 302 and urlsplit(response.location).path == "/customers"
    assert "Setup of Alpha Bakery skipped" in admin_client.get("/customers").text


def test_skip_setup_needs_csrf_and_post(app, admin_client):
    world = _customers()
    assert (
        admin_client.post(f"/customers/{world['fresh'].id}/skip-setup", csrf=False).status_code
        == 400
    )
    assert admin_client.get(f"/customers/{world['fresh'].id}/skip-setup").status_code == 405


def test_operator_sees_its_subtree_only_and_forged_ids_get_404(app):
    world = _customers()
    operator = signed_in(app, "operator", world["other_msp"])
    html = operator.get("/customers").text
    assert "Echo Energy" in html and "Alpha Bakery" not in html
    assert "<td>Other MSP</td>" in html  # its parent, the top of the operator's subtree
    assert (
        operator.post(f"/customers/{world['fresh'].id}/skip-setup", headers=HX).status_code == 404
    )
    assert (
        operator.post(f"/customers/{world['other'].id}/skip-setup", headers=HX).status_code == 200
    )


def test_an_operator_confined_to_one_customer_sees_no_parent_outside_its_scope(app):
    world = _customers()
    operator = signed_in(app, "operator", world["other"])
    html = operator.get("/customers").text
    assert "Echo Energy" in html and "Other MSP" not in html


def test_customer_users_get_404(app):
    world = _customers()
    customer = signed_in(app, "customer", world["fresh"])
    assert customer.get("/customers").status_code == 404
    assert customer.post(f"/customers/{world['fresh'].id}/skip-setup").status_code == 404
    assert 'href="/customers"' not in customer.get("/").text


def test_customers_page_runs_the_same_number_of_queries_for_few_and_many_rows(app, admin_client):
    account = make_account("Wide MSP")
    msp = make_company(account, "Wide MSP", 1005)
    mark_synchronized(account)
    for index in range(3):
        make_licenses(make_company(account, f"Few {index}", 1007, msp), 2)
    with count_queries() as few:
        assert admin_client.get("/customers").status_code == 200
    for index in range(47):
        make_licenses(make_company(account, f"Many {index:02d}", 1007, msp), 3)
    with count_queries() as many:
        html = admin_client.get("/customers").text
    assert html.count('<tr id="customer-') == 50
    assert many.statements == few.statements
