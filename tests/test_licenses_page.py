"""The License Management table: License User (R10), filters, search, sort, paging, URLs."""

from __future__ import annotations

import re

import pytest

from mspweb.extensions import db
from tests.conftest import login, make_user
from tests.licenses_world import build_world

HX = {"HX-Request": "true"}


def keys(html: str) -> list[str]:
    """The license keys of the table's rows, in order."""
    return re.findall(r'<td class="mono"[^>]*>([^<]+)</td>', html)


def users(html: str) -> list[str]:
    """The License User cells, in order."""
    cells = re.findall(r'</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td class="num', html)
    return [cell.strip() for cell in cells]


def test_r10_license_user_is_company_or_company_and_site(admin_client):
    build_world()
    page = admin_client.get("/licenses?sort=user")
    assert users(page.text) == [
        "Acme Manager",
        "Alpha MSP",
        "Contoso Ltd",
        "Contoso Ltd",
        "Contoso Ltd",
        "Fabrikam AG",
        "Fabrikam AG",
        "Globex / Graz",
        "Globex / Vienna",
    ]


def test_r10_license_user_shows_the_current_name_after_a_rename(admin_client):
    world = build_world()
    world.companies["globex"].name = "Globex International"
    world.companies["contoso"].name = "Contoso Group"
    db.session.commit()
    page = admin_client.get("/licenses?sort=user")
    assert "Globex International / Vienna" in users(page.text)
    assert "Contoso Group" in users(page.text) and "Contoso Ltd" not in users(page.text)
    tags = admin_client.get("/licenses?q=CON-001").text
    assert ">Contoso Ltd</span>" in tags  # R09: the tag keeps the old name


def test_r10_search_and_filter_by_license_user(admin_client):
    build_world()
    assert keys(admin_client.get("/licenses?q=globex / vie").text) == ["GLX-001"]
    assert keys(admin_client.get("/licenses?q=contoso").text) == ["CON-001", "CON-002", "CON-003"]


def test_search_by_key_and_by_product_name(admin_client):
    build_world()
    assert keys(admin_client.get("/licenses?q=fab-00").text) == ["FAB-001", "FAB-002"]
    assert keys(admin_client.get("/licenses?q=file secur").text) == ["CON-003"]
    assert "No license in a pool matches" in admin_client.get("/licenses?q=%25_%25").text


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("overused", ["CON-001"]),
        ("trial", ["CON-002"]),
        ("suspended", ["FAB-001"]),
        ("expiring", ["FAB-002"]),
    ],
)
def test_filter_by_status(admin_client, status, expected):
    build_world()
    assert keys(admin_client.get(f"/licenses?status={status}").text) == expected


def test_unlinked_company_shows_its_licenses_as_unlinked(admin_client):
    from mspweb.models.base import utcnow

    world = build_world()
    world.companies["fabrikam"].unlinked_at = utcnow()
    db.session.commit()
    assert keys(admin_client.get("/licenses?status=unlinked").text) == ["FAB-001", "FAB-002"]


def test_filter_by_tag_product_and_tree_node_combine(admin_client):
    world = build_world()
    assert keys(admin_client.get("/licenses?tag=vip").text) == ["CON-001", "FAB-002"]
    assert keys(admin_client.get("/licenses?product=EFS").text) == ["CON-003"]
    alpha = world.companies["alpha"].id
    assert keys(admin_client.get(f"/licenses?company={alpha}&tag=vip").text) == ["CON-001"]


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("key", "AAA-MGR-001", "GLX-001"),
        ("product", "AAA-MGR-001", "AAA-MSP-001"),  # Endpoint Security < File Security < PROTECT
        ("units", "CON-002", "CON-001"),
        ("status", "FAB-001", "GLX-001"),  # suspended first, normal last
        ("expiration", "FAB-002", "GLX-001"),
        ("tags", "AAA-MGR-001", "GLX-001"),
        ("user", "AAA-MGR-001", "GLX-001"),
        ("pool", "AAA-MGR-001", "GLX-001"),
    ],
)
def test_every_column_sorts_both_ways(admin_client, sort, first, last):
    build_world()
    ascending = keys(admin_client.get(f"/licenses?sort={sort}").text)
    descending = keys(admin_client.get(f"/licenses?sort={sort}&dir=desc").text)
    assert len(ascending) == 9 and sorted(ascending) == sorted(descending)
    if sort in ("units", "tags"):
        assert ascending[0] == first and descending[0] == last
    else:
        assert ascending[0] == first and ascending[-1] == last


def test_paging_in_the_url_and_beyond_the_last_page(admin_client):
    build_world()
    first = admin_client.get("/licenses?per_page=10&sort=key").text
    assert len(keys(first)) == 9
    second = admin_client.get("/licenses?per_page=10&page=2").text
    assert keys(second) == keys(first)[:9]  # only one page: page 2 shows the last one
    page_two = admin_client.get("/licenses?per_page=25&page=1").text
    assert "1–9 of 9 licenses in pools" in page_two


def test_deep_page_of_a_longer_list(admin_client):
    from tests.licenses_world import license

    world = build_world()
    for number in range(40):
        license(world, f"ZZZ-{number:03d}", ["contoso"])
    db.session.commit()
    page = admin_client.get("/licenses?per_page=10&page=5").text
    assert keys(page) == [f"ZZZ-{number:03d}" for number in range(31, 40)]
    assert "41–49 of 49 licenses in pools" in page
    assert re.search(r'aria-current="page"[^>]*>5<', page)


def test_htmx_request_gets_the_table_fragment_with_vary_and_its_canonical_url(admin_client):
    build_world()
    response = admin_client.get("/licenses?q=con&status=&product=&tag=&company=", headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="license-table"' in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Push-Url"] == "/licenses?q=con"
    assert 'id="filter-state" hx-swap-oob="true"' in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/licenses?q=con",
        "/licenses?tag=vip&sort=status&dir=desc",
        "/licenses?per_page=10&page=2",
    ],
)
def test_a_pushed_url_opened_directly_renders_the_full_page(admin_client, url):
    build_world()
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "<html" in page.text and 'id="license-tree"' in page.text
    assert 'id="license-filters"' in page.text
    assert "HX-Request" in page.headers["Vary"]
    fragment = admin_client.get(url, headers=HX)
    assert keys(fragment.text) == keys(page.text)


def test_boosted_and_history_restore_requests_get_the_full_page(admin_client):
    build_world()
    boosted = admin_client.get("/licenses", headers={**HX, "HX-Boosted": "true"})
    restore = admin_client.get("/licenses", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in boosted.text and "<html" in restore.text


def test_filters_keep_the_table_refreshing_on_licenses_changed(admin_client):
    build_world()
    page = admin_client.get("/licenses?tag=vip")
    table = page.text.split('id="license-table"')[1][:300]
    assert 'hx-get="/licenses?tag=vip"' in table
    # static/js/refresh.js turns licenses-changed into licenses-refresh (unless a tag is typed)
    assert 'hx-trigger="licenses-refresh from:body"' in table
    refresh = admin_client.get("/licenses?tag=vip", headers={**HX, "HX-Trigger": "license-table"})
    assert refresh.status_code == 200 and "HX-Push-Url" not in refresh.headers  # no new entry


def test_malformed_parameters_fall_back_to_defaults(admin_client):
    build_world()
    page = admin_client.get("/licenses?page=abc&per_page=7&sort=evil&dir=up&status=nope")
    assert page.status_code == 200 and len(keys(page.text)) == 9


def test_synchronize_button_only_for_administrators(app, admin_client, client):
    world = build_world()
    page = admin_client.get("/licenses").text
    assert "Synchronize licenses" in page and "Remove the pools of Acme Account" in page
    make_user("op@msp.example", "operator-pass-1", "operator", world.companies["alpha"])
    operator = app.test_client()
    login(operator, "op@msp.example", "operator-pass-1")
    page = operator.get("/licenses").text
    assert "Synchronize licenses" not in page and "Remove the pools" not in page


def test_r12_customer_sees_only_its_rows_and_gets_404_for_other_nodes(app, client):
    world = build_world()
    make_user("contoso@customer.example", "customer-pass-1", "customer", world.companies["contoso"])
    login(client, "contoso@customer.example", "customer-pass-1")
    page = client.get("/licenses").text
    assert keys(page) == ["CON-001", "CON-002", "CON-003"]
    for canary in ("Fabrikam", "Globex", "Alpha MSP", "FAB-001"):
        assert canary not in page
    assert keys(client.get("/licenses?q=fab").text) == []
    assert client.get(f"/licenses?company={world.companies['fabrikam'].id}").status_code == 404
