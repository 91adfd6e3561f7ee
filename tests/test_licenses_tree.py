"""The License Management tree (R07, R18): only companies with licenses, nested by ancestry."""

from __future__ import annotations

import re

from mspweb.licenses.tree import build_tree
from mspweb.scope import Scope
from tests.conftest import login, make_user
from tests.licenses_world import build_world, company, license, pool


def tree_names(nodes, depth=0):
    """The tree as indented names, for readable assertions."""
    lines = []
    for node in nodes:
        lines.append("  " * depth + f"{node.name} ({node.total_count})")
        lines.extend(tree_names(node.children, depth + 1))
    return lines


def test_r07_company_without_licenses_only_in_computers_tree(app):
    build_world()
    names = "\n".join(tree_names(build_tree(Scope(role="admin")).roots))
    assert "Empty Co" not in names
    assert "Beta MSP" not in names  # no licenses of its own


def test_r18_each_company_nests_under_its_nearest_ancestor_in_the_tree(app):
    build_world()
    assert tree_names(build_tree(Scope(role="admin")).roots) == [
        "Acme Manager (9)",
        "  Alpha MSP (4)",
        "    Contoso Ltd (3)",
        "  Fabrikam AG (2)",  # its parent Beta MSP has no licenses: it hangs under Acme
        "  Globex (2)",  # one license split over two site pools: two rows
    ]


def test_r07_company_enters_the_tree_once_it_has_licenses(app):
    world = build_world()
    world.companies["empty"].in_license_tree = True
    pool(world, "empty", "empty")
    license(world, "EMP-001", ["empty"])
    names = tree_names(build_tree(Scope(role="admin")).roots)
    assert "    Empty Co (1)" in names and "  Alpha MSP (5)" in names


def test_tree_counts_are_the_rows_its_filter_shows(admin_client):
    world = build_world()
    alpha = world.companies["alpha"].id
    page = admin_client.get(f"/licenses?company={alpha}")
    assert "4 of 4 licenses in pools" in " ".join(page.text.split())


def test_the_page_shows_the_tree_with_counts_and_filter_links(admin_client):
    world = build_world()
    page = admin_client.get("/licenses")
    tree = page.text.split('id="license-tree"')[1].split("</aside>")[0]
    assert "Empty Co" not in tree and "Beta MSP" not in tree
    contoso = world.companies["contoso"].id
    assert f'href="/licenses?company={contoso}"' in tree


def test_a_customer_sees_only_its_own_company_in_the_tree(app, client):
    world = build_world()
    make_user("contoso@customer.example", "customer-pass-1", "customer", world.companies["contoso"])
    login(client, "contoso@customer.example", "customer-pass-1")
    page = client.get("/licenses")
    tree = page.text.split('id="license-tree"')[1].split("</aside>")[0]
    assert "Contoso Ltd" in tree
    for other in ("Acme Manager", "Alpha MSP", "Fabrikam AG", "Globex"):
        assert other not in tree


def test_an_operator_sees_its_subtree_rooted_at_its_company(app):
    world = build_world()
    scope = Scope(role="operator", company_id=world.companies["alpha"].id)
    assert tree_names(build_tree(scope).roots) == ["Alpha MSP (4)", "  Contoso Ltd (3)"]


def test_big_nodes_load_their_children_lazily_and_a_selection_opens_its_path(admin_client):
    world = build_world()
    for number in range(160):  # an MSP with many customers starts closed
        key = f"many-{number}"
        company(world, key, f"Customer {number:03d}", 1007, "alpha", True)
    page = admin_client.get("/licenses")
    assert "Customer 000" not in page.text
    alpha = world.companies["alpha"].id
    children = admin_client.get(f"/licenses/tree/{alpha}", headers={"HX-Request": "true"})
    assert children.status_code == 200 and "<html" not in children.text
    # a level renders a bounded number of nodes (LEVEL_LIMIT), then "Show more"
    assert "Customer 048" in children.text and "Customer 049" not in children.text
    more = re.search(r'data-tree-more="([^"]+)"', children.text).group(1)
    rest = admin_client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "Customer 049" in rest.text and "Customer 048" not in rest.text
    selected = admin_client.get(f"/licenses?company={world.companies['many-7'].id}")
    assert re.search(
        r'class="tree-link selected"[^>]*><span class="tree-name">Customer 007<', selected.text
    )
    # a selected node beyond the first window of its level is rendered too
    far = admin_client.get(f"/licenses?company={world.companies['many-120'].id}")
    assert re.search(r'selected"[^>]*><span class="tree-name">Customer 120<', far.text)
    assert "Customer 100" not in far.text.split('id="license-tree"')[1].split("</aside>")[0]


def test_the_tree_has_one_tab_stop_and_no_link_inside_a_summary(admin_client):
    build_world()
    page = admin_client.get("/licenses").text
    tree = page.split('id="license-tree"')[1].split("</aside>")[0]
    assert "<summary" not in tree and 'role="tree"' in tree
    assert tree.count('role="treeitem"') >= 5 and 'tabindex="0"' not in tree  # tree.js sets one
    assert 'aria-expanded="true"' in tree


def test_tree_children_of_another_customers_company_are_404(app, client):
    world = build_world()
    make_user("contoso@customer.example", "customer-pass-1", "customer", world.companies["contoso"])
    login(client, "contoso@customer.example", "customer-pass-1")
    acme = world.companies["acme"].id
    assert client.get(f"/licenses/tree/{acme}", headers={"HX-Request": "true"}).status_code == 404
    assert client.get(f"/licenses?company={acme}").status_code == 404


def test_tree_children_opened_directly_redirect_to_the_page(admin_client):
    world = build_world()
    alpha = world.companies["alpha"].id
    response = admin_client.get(f"/licenses/tree/{alpha}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/licenses?company={alpha}")
