"""The Computers tree (R18): the whole structure, companies without licenses included."""

from __future__ import annotations

from mspweb.extensions import db
from mspweb.models.base import utcnow
from tests.page_helpers import (
    HX,
    count_queries,
    make_account,
    make_company,
    make_licenses,
    signed_in,
)


def _world():
    """An MSP Manager, two Managed MSPs, their customers: one unlinked, some without licenses."""
    account = make_account("Fabrikam Holdings")
    manager = make_company(account, "Fabrikam Holdings", 1004)
    account.root_company_id = manager.id
    east = make_company(account, "Fabrikam East", 1006, manager)
    west = make_company(account, "Fabrikam West", 1006, manager)
    alpha = make_company(account, "Alpha Bakery", 1007, east)
    make_licenses(alpha, 2)
    bare = make_company(account, "Bare Customer", 1007, east)
    gone = make_company(account, "Gone Ltd", 1007, west, unlinked_at=utcnow())
    db.session.commit()
    return {
        "account": account,
        "manager": manager,
        "east": east,
        "west": west,
        "alpha": alpha,
        "bare": bare,
        "gone": gone,
    }


def test_r18_computers_tree_shows_every_company_with_type_and_status(app, admin_client):
    world = _world()
    page = admin_client.get("/computers")
    assert page.status_code == 200
    html = page.text
    assert "<html" in html and 'id="computers-tree"' in html
    for name in ("Fabrikam Holdings", "Fabrikam East", "Fabrikam West"):
        assert name in html
    assert "MSP Manager" in html and "Managed MSP" in html
    # The roots' children are open; the level below loads when opened.
    assert f'hx-get="/computers/{world["east"].id}/children"' in html
    assert 'hx-trigger="toggle once"' in html
    assert "Show the 2 companies under Fabrikam East" in html


def test_r18_children_include_companies_without_licenses_and_unlinked_ones(app, admin_client):
    world = _world()
    fragment = admin_client.get(f"/computers/{world['east'].id}/children", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Alpha Bakery" in fragment.text and "2 licenses" in fragment.text
    assert "Bare Customer" in fragment.text and "no licenses" in fragment.text
    west = admin_client.get(f"/computers/{world['west'].id}/children", headers=HX).text
    assert "Gone Ltd" in west and "Unlinked" in west and "is-unlinked" in west


def test_children_url_opened_directly_renders_a_full_page_with_its_path(app, admin_client):
    world = _world()
    page = admin_client.get(f"/computers/{world['east'].id}/children")
    assert page.status_code == 200 and "<html" in page.text
    assert 'aria-label="Breadcrumbs"' in page.text and "Fabrikam Holdings" in page.text
    assert "Alpha Bakery" in page.text and "Bare Customer" in page.text


def test_operator_sees_only_its_subtree_and_gets_404_elsewhere(app):
    world = _world()
    operator = signed_in(app, "operator", world["east"])
    html = operator.get("/computers").text
    assert "Fabrikam East" in html and "Alpha Bakery" in html
    assert "Fabrikam West" not in html and "Fabrikam Holdings</span>" not in html
    assert operator.get(f"/computers/{world['west'].id}/children", headers=HX).status_code == 404
    assert operator.get(f"/computers/{world['gone'].id}/children").status_code == 404


def test_customer_users_get_404(app):
    world = _world()
    customer = signed_in(app, "customer", world["alpha"])
    assert customer.get("/computers").status_code == 404
    assert customer.get(f"/computers/{world['alpha'].id}/children").status_code == 404


def test_computers_page_runs_the_same_number_of_queries_for_few_and_many_companies(
    app, admin_client
):
    account = make_account("Wide MSP")
    root = make_company(account, "Wide MSP", 1005)
    for index in range(3):
        make_licenses(make_company(account, f"Small {index}", 1007, root), 1)
    admin_client.get("/computers")
    with count_queries() as few:
        assert admin_client.get("/computers").status_code == 200
    for index in range(60):
        make_licenses(make_company(account, f"More {index:02d}", 1007, root), 2)
    with count_queries() as many:
        html = admin_client.get("/computers").text
    assert "More 59" in html
    assert many.statements == few.statements
