"""The cyclic garbage collector: a console process moves what its start-up built out of its
sight, and a sync pauses it while it reads and applies (and turns it back on after)."""

from __future__ import annotations

import gc

from sqlalchemy import event

from config import TestConfig
from mspweb import create_app
from mspweb.extensions import db
from tests.plugins.sync import sync_now


def test_an_app_built_to_serve_freezes_its_start_up_objects(app, tmp_path):
    # the same Redis as the suite's app: create_app re-binds the shared rate limiter's storage
    same = {name: app.config[name] for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}",
            GC_FREEZE_AT_START=True,
            **same,
        )
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'y.db'}", **same)
    assert gc.get_freeze_count() == 0  # the suite's own apps do not


def test_a_sync_writes_with_the_collector_paused_and_turns_it_back_on(app, import_demo):
    account = import_demo(business=True, sync=False)
    enabled_while_writing: list[bool] = []

    def on_execute(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE SYNC_RUN "):  # the run finishing
            enabled_while_writing.append(gc.isenabled())

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        assert gc.isenabled()
        outcome = sync_now(account)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert outcome["status"] == "succeeded", outcome
    assert False in enabled_while_writing  # the run recorded its progress and outcome paused
    assert gc.isenabled()
