"""R21 under faults the sync engine's own tests leave out: a 429 storm, a token revoked in the
middle of paging, changed credentials seen on the Accounts page, the database going away.

Portal faults come only from the sandbox's switches; database faults are real (PostgreSQL
backends terminated, connections refused). Already covered elsewhere, and not repeated here:
503 maintenance beyond the retry budget, bad bodies on the last page and a portal slower than
the read timeout (tests/test_sync_faults.py); a worker killed with SIGKILL mid-sync
(tests/test_sync_jobs.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading

import psycopg
import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Account, License, SyncRun
from mspweb.sync.queueing import request_sync
from mspweb.sync.recovery import refresh_stale_runs
from tests.conftest import run_worker, start_rq_worker
from tests.page_helpers import HX
from tests.plugins.sync import dump_tables, sync_now, wait_for


def _portal_keys(sandbox, account: str = "northwind") -> set[str]:
    """The license keys the MSP portal holds for `account` now (the portal's truth)."""
    return {item["publicLicenseKey"] for item in sandbox.control.licenses(account)}


def _local_keys(account_id: int) -> set[str]:
    db.session.commit()  # see what other processes committed
    return set(
        db.session.scalars(select(License.public_key).where(License.account_id == account_id))
    )


def _run(run_id: int) -> SyncRun:
    db.session.commit()
    return db.session.get(SyncRun, run_id)


def test_r21_429_storm_with_retry_after_is_waited_out_and_the_run_shows_calls_and_waits(
    import_demo, sandbox, fast_portal, admin_client
):
    """Every kind of call is answered 429 with Retry-After: 1 along the way; the sync waits
    as told, completes, and its SyncRun (and the Sync history page) says how much it waited."""
    sandbox.control.reset(licenses=250)  # three pages of licenses
    account = import_demo()
    fast_portal.config.update(PORTAL_MAX_ATTEMPTS=5, PORTAL_MAX_TOTAL_WAIT=20)
    sandbox.control.add_license(sandbox.control.root("northwind")["id"])
    for rule in (
        {"path": "Token/Get", "count": 1},
        {"path": "Company/Children", "count": 1},
        {"path": "Search/Licenses", "after": 1, "count": 2},
        {"path": "Search/Licenses", "last_page_only": True, "count": 1},
    ):
        sandbox.control.add_fault(kind="status", status=429, retry_after=1, **rule)
    calls_before = sandbox.control.stats()["total"]
    response = admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    assert response.status_code == 200
    run_worker(fast_portal)
    run = db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    assert (run.status, run.licenses_added) == ("succeeded", 1), run.error
    assert sandbox.control.faults() == []  # every 429 was sent
    assert run.portal_retries >= 5
    assert run.portal_wait_seconds >= 5.0
    assert run.portal_calls == sandbox.control.stats()["total"] - calls_before
    assert _local_keys(account.id) == _portal_keys(sandbox)
    history = admin_client.get(f"/syncs?account={account.id}").text
    assert f"{run.portal_calls} portal calls, {run.portal_retries} retries" in history
    assert f"{run.portal_wait_seconds:.1f} s waiting for the portal" in history


def test_r21_token_revoked_in_the_middle_of_paging_logs_in_again_and_completes(
    import_demo, sandbox
):
    """The portal revokes every token while page 2 of the licenses is being answered: the next
    page is refused (401), renewing fails, logging in again works, and nothing is missed."""
    sandbox.control.reset(licenses=250)
    account = import_demo()
    sandbox.control.add_license(sandbox.control.root("northwind")["id"])
    sandbox.control.add_fault(kind="slow", delay=1.5, path="Search/Licenses", after=1, count=1)
    logins = sandbox.control.calls("Token/Get")
    renewals = sandbox.control.calls("Token/Renew")
    pages = sandbox.control.calls("Search/Licenses")
    revoked = threading.Event()

    def revoke_during_page_two() -> None:
        wait_for(
            lambda: sandbox.control.calls("Search/Licenses") >= pages + 2, timeout=30, step=0.05
        )
        sandbox.control.revoke_tokens("northwind")
        revoked.set()

    revoker = threading.Thread(target=revoke_during_page_two, daemon=True)
    revoker.start()
    outcome = sync_now(account)
    revoker.join(timeout=30)
    assert revoked.is_set()
    assert (outcome["status"], outcome["licenses_added"]) == ("succeeded", 1), outcome
    assert outcome["portal_retries"] >= 1
    assert sandbox.control.calls("Token/Get") - logins == 2  # the first login, and again
    assert sandbox.control.calls("Token/Renew") - renewals == 1  # refused: revoked too
    assert _local_keys(account.id) == _portal_keys(sandbox)


def test_r21_changed_credentials_fail_the_sync_and_the_accounts_page_says_so(
    import_demo, sandbox, fast_portal, admin_client
):
    """The password changes in the portal: the sync (run by a worker) fails with "credentials
    no longer valid", nothing changes, and the Accounts page and the Sync history say so."""
    account = import_demo()
    sandbox.control.add_license(sandbox.control.root("northwind")["id"])
    before = dump_tables()
    sandbox.control.set_password("northwind", "changed-in-the-portal")
    sandbox.control.revoke_tokens("northwind")
    admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    run_worker(fast_portal)
    run = db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    assert run.status == "failed" and "credentials no longer valid" in run.error
    assert dump_tables() == before
    page = admin_client.get("/accounts").text
    assert "Credentials no longer valid" in page
    assert "no longer accepts this account" in page
    assert "credentials no longer valid" in admin_client.get("/syncs").text
    assert "changed-in-the-portal" not in page


@pytest.fixture()
def postgres(app):
    """An autocommit psycopg connection to the server's `postgres` database (PostgreSQL only),
    from which the test database can be made to refuse connections."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL: terminating backends and refusing connections are "
            "server features SQLite does not have"
        )
    url = db.engine.url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as connection:
        yield connection


def _blocked_sync_backend(connection) -> int | None:
    """The pid of a backend of the test database waiting for a lock (the sync's apply)."""
    row = connection.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        (db.engine.url.database,),
    ).fetchone()
    return row[0] if row else None


def test_r21_database_unavailable_for_a_moment_fails_the_run_cleanly_and_a_retry_succeeds(
    import_demo, sandbox, sync_env, postgres, app
):
    """PostgreSQL goes away while a real worker applies a sync: every connection of the
    database is terminated and new ones are refused for a few seconds. The sync's transaction
    dies, nothing is half-written, the run ends failed saying the database was unavailable,
    and once the database is back the next sync succeeds."""
    account = import_demo()
    sandbox.control.add_company(sandbox.control.root("northwind")["id"], "During The Outage")
    sandbox.control.add_license(sandbox.control.root("northwind")["id"])
    before = dump_tables()
    database = db.engine.url.database
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    run = request_sync(account)
    account_id, run_id = account.id, run.id
    env = dict(sync_env, SYNC_DB_RETRY_SECONDS="30", SYNC_STALE_AFTER="5")
    worker = start_rq_worker(env)
    try:
        _outage_while_applying(worker, postgres, url, database, account_id)
        failed = wait_for(lambda: _finished(run_id, account_id), timeout=60, step=0.25)
        assert failed.status == "failed"
        assert "database was unavailable" in failed.error and "nothing was saved" in failed.error
        assert dump_tables() == before
        retry_id = request_sync(db.session.get(Account, account_id)).id
        done = wait_for(lambda: _finished(retry_id, account_id), timeout=60, step=0.25)
        assert done.status == "succeeded", done.error
        assert (done.companies_added, done.licenses_added) == (1, 1)
        assert _local_keys(account_id) == _portal_keys(sandbox)
    finally:
        _stop(worker)


def _outage_while_applying(
    worker: subprocess.Popen, postgres, url: str, database: str, account_id: int
) -> None:
    """Stop the worker's sync inside its apply transaction (the account's row is held), then
    terminate every connection to the database and refuse new ones until the sync has tried
    three times to record its failure; then let the database come back."""
    db.session.close()  # this test's connections die too: the pool replaces them afterwards
    with psycopg.connect(url) as locker:
        try:
            locker.execute("SELECT id FROM account WHERE id = %s FOR UPDATE", (account_id,))
            wait_for(lambda: _blocked_sync_backend(postgres), timeout=60, step=0.1)
            postgres.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            postgres.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                (database, locker.info.backend_pid),
            )
            wait_for(
                lambda: _peek(worker).count("database is unavailable") >= 3, timeout=30, step=0.2
            )
        finally:
            postgres.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            locker.rollback()


_worker_output: dict[int, str] = {}


def _peek(worker: subprocess.Popen) -> str:
    """What the worker has printed so far (read without blocking)."""
    os.set_blocking(worker.stdout.fileno(), False)
    chunk = worker.stdout.read() or b""
    _worker_output[worker.pid] = _worker_output.get(worker.pid, "") + chunk.decode(errors="replace")
    return _worker_output[worker.pid]


def _finished(run_id: int, account_id: int) -> SyncRun | None:
    """The run once it has ended (failing runs whose worker died on the way)."""
    refresh_stale_runs(account_id)
    run = _run(run_id)
    return run if run.status in ("succeeded", "failed") else None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
