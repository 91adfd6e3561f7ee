"""The query side of License Management: constant query counts, statuses, the page cache."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from mspweb.extensions import db
from mspweb.licenses import stamp as paging
from mspweb.licenses.status import STATUSES, status_of
from tests.licenses_world import build_world, license

TODAY = date(2026, 6, 1)


@contextmanager
def counting_queries():
    """Count the SQL statements sent while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    "url",
    [
        "/licenses?per_page={n}",
        "/licenses?per_page={n}&sort=status",
        "/licenses?per_page={n}&tag=bulk&sort=tags",
        "/licenses?per_page={n}&q=BLK",
    ],
)
def test_queries_per_page_do_not_grow_with_the_rows_shown(admin_client, url):
    world = build_world()
    for number in range(60):
        license(
            world,
            f"BLK-{number:03d}",
            ["contoso" if number % 2 else "globex-vienna"],
            tags=["bulk", f"tag-{number}"],
        )
    db.session.commit()
    counts = {}
    for rows in (10, 50):
        paging.cache.clear()
        admin_client.get(url.format(n=rows))  # warm up (login, compiled statements)
        paging.cache.clear()
        with counting_queries() as statements:
            page = admin_client.get(url.format(n=rows))
        assert page.status_code == 200 and page.text.count('name="license"') == rows
        counts[rows] = len(statements)
    assert counts[10] == counts[50], counts
    assert counts[50] <= 14, counts  # ours, plus the menu and the sync button


def test_fragment_needs_fewer_queries_than_the_full_page(admin_client):
    build_world()
    admin_client.get("/licenses")
    with counting_queries() as full:
        admin_client.get("/licenses")
    with counting_queries() as fragment:
        admin_client.get("/licenses", headers={"HX-Request": "true"})
    assert len(fragment) < len(full)


def status(**fields):
    """`status_of` with harmless defaults for what a case does not set."""
    values = {
        "unlinked": False,
        "state": 1,
        "trial": False,
        "trial_expiration": None,
        "expiration": None,
        "usage": 1,
        "quantity": 10,
        "today": TODAY,
    }
    values.update(fields)
    return status_of(**values)


def test_status_precedence_problems_before_facts():
    soon, past = TODAY + timedelta(days=5), TODAY - timedelta(days=1)
    assert status(unlinked=True, state=3, usage=99) == "unlinked"
    assert status(state=3, expiration=past) == "suspended"
    assert status(expiration=past, usage=99) == "expired"
    assert status(state=2) == "expired"  # obsolete in the portal
    assert status(usage=11, trial=True, trial_expiration=soon) == "overused"
    assert status(trial=True, trial_expiration=soon) == "trial"
    assert status(trial=True, trial_expiration=past) == "expired"
    assert status(expiration=TODAY + timedelta(days=30)) == "expiring"
    assert status(expiration=TODAY + timedelta(days=31)) == "normal"
    assert status(expiration=TODAY) == "expiring"  # ends today: not yet expired
    assert list(STATUSES)[0] == "unlinked" and list(STATUSES)[-1] == "normal"


def test_sql_status_matches_the_python_one(admin_client):
    world = build_world()
    page = admin_client.get("/licenses?per_page=50").text
    for key, expected in (
        ("CON-001", "overused"),
        ("CON-002", "trial"),
        ("FAB-001", "suspended"),
        ("FAB-002", "expiring"),
        ("CON-003", "normal"),
    ):
        item = world.licenses[key]
        assert (
            status(
                state=item.state,
                trial=item.trial,
                trial_expiration=item.trial_expiration,
                expiration=item.expiration,
                usage=item.usage,
                quantity=item.quantity,
                today=date.today(),
            )
            == expected
        )
        row = re.split(f'<td class="mono"[^>]*>{key}</td>', page)[1].split("</tr>")[0]
        assert f"status-{expected}" in row


def test_cached_lists_are_dropped_when_the_data_changes(app, admin_client):
    """Long lists are cached per data stamp: a new license, a finished sync or a tag edit makes
    the next page read fresh rows."""
    from mspweb.models import Tag

    app.config["LICENSES_CACHE_MIN_ROWS"] = 1
    try:
        world = build_world()
        paging.cache.clear()
        first = admin_client.get("/licenses?sort=status").text
        assert "1–9 of 9" in first
        license(world, "NEW-001", ["contoso"], state=3)
        db.session.commit()
        assert "1–10 of 10" in admin_client.get("/licenses?sort=status").text
        assert "1–2 of 2" in admin_client.get("/licenses?tag=vip&sort=status").text
        con = world.licenses["CON-003"]
        admin_client.post(
            f"/licenses/{con.id}/tags", data={"name": "vip"}, headers={"HX-Request": "true"}
        )
        assert "1–3 of 3" in admin_client.get("/licenses?tag=vip&sort=status").text
        assert db.session.scalar(db.select(Tag.id).where(Tag.name == "vip"))
    finally:
        app.config.pop("LICENSES_CACHE_MIN_ROWS")
        paging.cache.clear()
