"""Fixtures and helpers for the import and sync tests.

- ``fast_portal``: the app's portal client without a rate limit and with short retries;
- ``import_demo``: import a demo account of the sandbox (optionally synchronized at once);
- ``sync_env``: the environment for separate worker/scheduler processes of the session;
- :func:`dump_tables`: every data row, to prove that a failed sync changed nothing (R21).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

#: Portal client settings for tests: no rate limit, retries that give up within a second.
FAST_PORTAL = {
    "PORTAL_MAX_CALLS_PER_SECOND": 0,
    "PORTAL_MAX_ATTEMPTS": 3,
    "PORTAL_BACKOFF_BASE": 0.01,
    "PORTAL_MAX_TOTAL_WAIT": 3.0,
    "PORTAL_READ_TIMEOUT": 10.0,
}

#: The tables a sync writes, and the account columns that only say how the last sync went.
DATA_TABLES = (
    "account",
    "company",
    "site",
    "license_pool",
    "license",
    "pool_license",
    "tag",
    "license_tag",
)
SYNC_OUTCOME_COLUMNS = {
    "last_sync_at",
    "last_sync_status",
    "last_sync_error",
    "last_success_at",
    "credentials_valid",
}


@pytest.fixture()
def fast_portal(app):
    """The app with FAST_PORTAL settings (restored after the test)."""
    saved = {key: app.config.get(key) for key in FAST_PORTAL}
    app.config.update(FAST_PORTAL)
    yield app
    app.config.update(saved)


@pytest.fixture()
def import_demo(fast_portal, sandbox) -> Callable:
    """``import_demo("northwind", business=True, sync=True)``: the imported Account."""

    def _import(
        name: str = "northwind", msp: bool = True, business: bool = False, sync: bool = True
    ):
        from mspweb.accounts.service import import_account

        demo = sandbox.accounts[name]
        account, _ = import_account(
            sandbox.msp_url if msp else None,
            sandbox.business_url if business else None,
            demo.username,
            demo.password,
            enqueue_sync=False,
        )
        if sync:
            outcome = sync_now(account)
            assert outcome["status"] == "succeeded", outcome
        return account

    return _import


def sync_now(account) -> dict:
    """Run a sync of `account` in this process; returns its outcome."""
    from mspweb.sync.runner import run_inline

    return run_inline(account)


@pytest.fixture()
def sync_env(worker_env: dict) -> dict:
    """The environment of worker and scheduler processes: fast portal, short heartbeats."""
    env = dict(worker_env)
    env.update(
        PORTAL_MAX_CALLS_PER_SECOND="0",
        PORTAL_MAX_ATTEMPTS="3",
        PORTAL_MAX_TOTAL_WAIT="3",
        SYNC_STALE_AFTER="2",
        DAILY_SYNC_HOUR="0",
        LOG_LEVEL="WARNING",
    )
    return env


def dump_tables() -> dict[str, list[tuple]]:
    """Every row of the tables a sync writes, sorted (the account without its sync outcome)."""
    from mspweb.extensions import db

    dump = {}
    with db.engine.connect() as connection:
        for name in DATA_TABLES:
            table = db.metadata.tables[name]
            columns = [c for c in table.c if c.name not in SYNC_OUTCOME_COLUMNS]
            rows = connection.execute(select(*columns)).all()
            dump[name] = sorted((tuple(row) for row in rows), key=repr)
    return dump


def wait_for(condition: Callable[[], object], timeout: float = 20.0, step: float = 0.1):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
