"""Seek paging of the license table: every sort, both ways, by page number, by the Next links
and back by the Previous links, gives exactly the order of the one SQL ORDER BY."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.licenses.filters import SORT_KEYS, LicenseFilters
from mspweb.licenses.queries import RowQuery, fetch_ids
from mspweb.models import License, PoolLicense
from mspweb.scope import Scope
from tests.licenses_world import build_world, license

PRODUCTS = [("EES", "ESET Endpoint Security"), ("EFS", "ESET File Security"), ("PRO", "PROTECT")]


def keys(text: str) -> list[str]:
    """The license keys of the table's rows, in order."""
    return re.findall(r'<td class="mono"[^>]*>([^<]+)</td>', text)


def link(text: str, rel: str) -> str | None:
    """The href of the pager's first link with `rel` (next / prev), if any."""
    found = re.search(rf'href="([^"]+)"[^>]*rel="{rel}"', text) or re.search(
        rf'rel="{rel}"[^>]*href="([^"]+)"', text
    )
    return html.unescape(found.group(1)) if found else None


def bigger_world() -> None:
    """The test world plus 40 licenses spread over pools, products, units, statuses, tags."""
    world = build_world()
    today = date.today()
    pools = ["contoso", "fabrikam", "globex-vienna", "globex-graz", "alpha"]
    for number in range(40):
        license(
            world,
            f"PG{(number * 7) % 40:02d}-{number:02d}",
            [pools[number % len(pools)]],
            product=PRODUCTS[number % 3],
            quantity=10 + number % 4,
            usage=(5, 14, 3)[number % 3],
            tags=[f"t{number % 6}"] if number % 4 else [],
            state=3 if number % 9 == 0 else 1,
            expiration=today + timedelta(days=number * 5) if number % 2 else None,
        )
    db.session.commit()


def sql_order(sort: str, direction: str) -> list[str]:
    """The license keys in the order of RowQuery's own ORDER BY (the reference)."""
    filters = LicenseFilters(sort=sort, dir=direction)
    ids = fetch_ids(RowQuery(filters, Scope(role="admin"), date.today()).ids())
    key_of = dict(
        db.session.execute(
            select(PoolLicense.id, License.public_key).join(
                License, License.id == PoolLicense.license_id
            )
        ).all()
    )
    return [key_of[row_id] for row_id in ids]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_pages_by_number_and_by_next_and_previous_links_follow_the_sql_order(
    admin_client, sort, direction
):
    bigger_world()
    expected = sql_order(sort, direction)
    assert len(expected) == 49
    base = f"/licenses?sort={sort}&dir={direction}&per_page=10"
    by_number = []
    for number in range(1, 6):
        by_number += keys(admin_client.get(f"{base}&page={number}").text)
    assert by_number == expected

    forward, url = [], base
    while url:
        page = admin_client.get(url).text
        forward += keys(page)
        url = link(page, "next")
    assert forward == expected

    backward, url = [], f"{base}&page=5"
    while url:
        page = admin_client.get(url).text
        backward = keys(page) + backward
        url = link(page, "prev")
    assert backward == expected


def test_next_link_of_an_index_sort_carries_its_anchor_row(admin_client):
    bigger_world()
    page = admin_client.get("/licenses?per_page=10").text
    assert re.search(r"page=2&(amp;)?after=\d+", link(page, "next") or "")
    assert "Page 1 of 5" in page


def test_a_forged_or_vanished_anchor_falls_back_to_the_page_number(admin_client):
    bigger_world()
    plain = keys(admin_client.get("/licenses?per_page=10&page=3").text)
    for anchor in ("after=999999", "before=999999", "after=abc", "before=-5"):
        assert keys(admin_client.get(f"/licenses?per_page=10&page=3&{anchor}").text) == plain


@pytest.mark.parametrize("narrowing", ["", "&product=EES", "&tag=t1", "&q=PG1", "&status=overused"])
def test_a_status_sorted_page_counts_what_the_key_sorted_one_counts(admin_client, narrowing):
    """Sorted by status first (its total then comes from the status groups), the table says
    the same number of rows, on as many pages, as sorted by key, and as SQL counts."""
    bigger_world()
    announced = re.compile(r'data-announce="([\d,]+) licenses? in pools')
    pages = re.compile(r"Page 1 of (\d+)")
    by_status = admin_client.get(f"/licenses?sort=status&per_page=10{narrowing}").text
    by_key = admin_client.get(f"/licenses?sort=key&per_page=10{narrowing}").text
    filters = LicenseFilters.from_args(
        {k: v for k, v in (p.split("=") for p in narrowing.split("&") if p)}
    )
    expected = len(fetch_ids(RowQuery(filters, Scope(role="admin"), date.today()).ids()))
    assert expected > 0
    for text in (by_status, by_key):
        found = announced.search(text)
        assert found is not None and int(found.group(1).replace(",", "")) == expected
    assert pages.findall(by_status) == pages.findall(by_key)


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("sort", ["key", "product", "units"])
def test_deep_pages_by_number_seek_from_where_an_earlier_request_found_them(
    admin_client, monkeypatch, sort, direction
):
    """A bare page number far from both ends is walked once by OFFSET; the page's first row is
    remembered, and that page and the pages after it are then read from there. Every page,
    in any order of requests, is still the SQL order's slice."""
    import mspweb.licenses.table as table

    monkeypatch.setattr(table, "SHORT_WALK", 4)  # "deep" from 5 rows on, in a 49-row world
    bigger_world()
    expected = sql_order(sort, direction)
    base = f"/licenses?sort={sort}&dir={direction}&per_page=10"
    for number in (2, 2, 3, 4, 3, 2, 4, 3):
        offset = (number - 1) * 10
        page = keys(admin_client.get(f"{base}&page={number}").text)
        assert page == expected[offset : offset + 10]
    starts = [v for k, v in table.cache._entries.items() if k[0] == "page-starts"]
    assert starts and any(len(kept) > 1 for kept in starts)
