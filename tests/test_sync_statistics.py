"""Planner statistics after a large sync (PostgreSQL): a sync that wrote at least
SYNC_ANALYZE_AFTER_ROWS rows runs ANALYZE on the synced tables once it committed; one that
wrote fewer (a resync with nothing changed writes none) leaves them alone."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mspweb.extensions import db
from mspweb.sync.statistics import SYNCED_TABLES, refresh_statistics
from tests.plugins.sync import sync_now


def _analyze_counts() -> dict[str, int]:
    """How often each synced table was analyzed by hand (statistics outlive a test's data)."""
    db.session.commit()
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    rows = db.session.execute(text("SELECT relname, analyze_count FROM pg_stat_user_tables"))
    return {name: count for name, count in rows if name in SYNCED_TABLES}


@pytest.fixture()
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite plans without statistics and is left alone")


def test_a_first_sync_over_the_threshold_analyzes_the_synced_tables(
    postgresql, app, fast_portal, import_demo
):
    before = _analyze_counts()
    app.config["SYNC_ANALYZE_AFTER_ROWS"] = 50  # the demo's first sync writes a few hundred
    try:
        import_demo("northwind")
    finally:
        app.config["SYNC_ANALYZE_AFTER_ROWS"] = 10_000
    after = _analyze_counts()
    assert {name: after[name] - before.get(name, 0) for name in SYNCED_TABLES} == dict.fromkeys(
        SYNCED_TABLES, 1
    )


def test_a_sync_under_the_threshold_leaves_the_statistics_alone(
    postgresql, app, fast_portal, import_demo
):
    account = import_demo("northwind", sync=False)
    before = _analyze_counts()
    app.config["SYNC_ANALYZE_AFTER_ROWS"] = 1_000_000
    try:
        assert sync_now(account)["status"] == "succeeded"
    finally:
        app.config["SYNC_ANALYZE_AFTER_ROWS"] = 10_000
    assert _analyze_counts() == before


def test_statistics_are_refreshed_only_on_postgresql_and_at_the_threshold(app):
    postgres = db.engine.dialect.name == "postgresql"
    assert refresh_statistics(db.engine, 9, 10) is False
    assert refresh_statistics(db.engine, 10, 0) is False  # 0 turns it off
    assert refresh_statistics(db.engine, 10, 10) is postgres
