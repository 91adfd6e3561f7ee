"""Connection settings of the console's database: PostgreSQL starts no parallel workers for
the console's queries unless DATABASE_PARALLEL_WORKERS says so; SQLite is left alone."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from mspweb.database import engine_options
from mspweb.extensions import db


@pytest.fixture
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")


def _setting(uri: str, options: dict) -> str:
    engine = create_engine(uri, **options)
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SHOW max_parallel_workers_per_gather"))
    finally:
        engine.dispose()


def test_the_consoles_postgresql_connections_start_no_parallel_workers(app, postgresql_only):
    with db.engine.connect() as connection:
        assert connection.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
    uri = db.engine.url.render_as_string(hide_password=False)
    config = {"SQLALCHEMY_DATABASE_URI": uri, "SQLALCHEMY_ENGINE_OPTIONS": {}}
    assert _setting(uri, engine_options({**config, "DATABASE_PARALLEL_WORKERS": 3})) == "3"
    with create_engine(uri).connect() as connection:
        server_default = connection.scalar(text("SHOW max_parallel_workers_per_gather"))
    assert _setting(uri, engine_options({**config, "DATABASE_PARALLEL_WORKERS": -1})) == (
        server_default
    )


def test_other_connect_options_are_kept_and_sqlite_gets_none():
    kept = engine_options(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c work_mem=8MB"}},
            "DATABASE_PARALLEL_WORKERS": 0,
        }
    )
    assert kept["connect_args"]["options"] == (
        "-c work_mem=8MB -c max_parallel_workers_per_gather=0"
    )
    sqlite = {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "DATABASE_PARALLEL_WORKERS": 0}
    assert "connect_args" not in engine_options(sqlite)
