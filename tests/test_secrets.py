"""Portal passwords: encrypted at rest, never shown again after import, never logged, and the
encryption key rotated through the documented CLI path (`flask accounts rotate-key`).

Each test gives the demo account a password that appears nowhere else, imports it through
the Add account form, and looks for that password where it must not be.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Account, SyncRun
from mspweb.sync.queueing import request_sync
from tests.conftest import ROOT, run_worker
from tests.page_helpers import HX, response_text
from tests.plugins.sync import sync_now
from tests.url_map import routes

#: The demo account's password for these tests: it occurs in no name, URL or email.
SECRET = "Zq7-pOrtal-Secret-4471"


@pytest.fixture()
def imported(fast_portal, sandbox, admin_client) -> Account:
    """The northwind account, its portal password set to SECRET, imported through the form
    and synchronized once by a worker."""
    sandbox.control.set_password("northwind", SECRET)
    response = admin_client.post(
        "/accounts/new",
        headers=HX,
        data={
            "msp_url": sandbox.msp_url,
            "business_url": sandbox.business_url,
            "username": sandbox.main.username,
            "password": SECRET,
        },
    )
    assert response.status_code == 200, response.text
    run_worker(fast_portal)
    account = db.session.scalars(select(Account)).one()
    runs = db.session.execute(select(SyncRun.trigger, SyncRun.status).order_by(SyncRun.id))
    # the import's sync, then the usage backfill it queued (issue 10)
    assert [tuple(run) for run in runs] == [("import", "succeeded"), ("backfill", "succeeded")]
    return account


def test_portal_password_is_encrypted_at_rest_and_in_no_column_of_any_table(imported, app):
    """The stored value is a Fernet token that the configured key opens, and no text or binary
    column of any table holds the password in clear."""
    with db.engine.connect() as connection:
        stored = bytes(connection.scalar(select(Account.__table__.c.password_encrypted)))
        assert SECRET.encode() not in stored
        assert Fernet(app.config["FERNET_KEYS"].encode()).decrypt(stored) == SECRET.encode()
        for table in db.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    text = value.decode(errors="ignore") if isinstance(value, bytes) else str(value)
                    assert SECRET not in text, f"{table.name} holds the password"


def test_portal_password_is_never_shown_again_in_any_page_fragment_or_export(
    imported, admin_client, app
):
    """Every GET route of the URL map, as a page and as an htmx fragment, the CSV export and
    the audit log: the password is in none of them."""
    from mspweb.models import Company, License, Tag

    ids = {
        "account_id": imported.id,
        "run_id": db.session.scalar(select(SyncRun.id)),
        "company_id": db.session.scalar(select(Company.id)),
        "license_id": db.session.scalar(select(License.id)),
        "tag_id": db.session.scalar(select(Tag.id)),
        "user_id": 1,
    }
    seen = 0
    for route in routes(app, ids):
        if route.method != "GET":
            continue
        for headers in ({}, HX):
            response = admin_client.get(route.url, headers=headers)
            body = response_text(response)
            assert SECRET not in body, route.endpoint
            assert SECRET not in str(response.headers), route.endpoint
            seen += 1
    assert seen > 20
    for url in ("/licenses/export.csv", "/audit", "/accounts", "/syncs"):
        assert SECRET not in admin_client.get(url).get_data(as_text=True), url
    assert imported.username in admin_client.get("/accounts").text  # the account is shown


def test_portal_password_is_never_logged_by_the_web_process_or_a_worker_process(
    fast_portal, sandbox, admin_client, caplog, sync_env
):
    """Everything logged at DEBUG, in this process (import through the form, a sync, a failing
    sync) and by a separate worker process (a failing sync), holds no password."""
    caplog.set_level(logging.DEBUG)
    sandbox.control.set_password("northwind", SECRET)
    admin_client.post(
        "/accounts/new",
        headers=HX,
        data={"msp_url": sandbox.msp_url, "username": sandbox.main.username, "password": SECRET},
    )
    run_worker(fast_portal)
    account = db.session.scalars(select(Account)).one()
    sandbox.control.add_fault(kind="status", status=500, path="Search/Licenses")
    assert sync_now(account)["status"] == "failed"
    sandbox.control.clear_faults()
    sandbox.control.set_password("northwind", "changed-in-the-portal")
    sandbox.control.revoke_tokens("northwind")
    assert sync_now(account)["status"] == "failed"
    request_sync(account)
    worker = subprocess.run(
        [sys.executable, "-m", "mspweb.worker", "--burst"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(sync_env, LOG_LEVEL="DEBUG"),
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "sync-run-" in worker.stdout + worker.stderr  # it did run the job
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert SECRET not in caplog.text
    assert SECRET not in worker.stdout + worker.stderr


def test_key_rotation_through_the_cli_keeps_synchronizing(
    fast_portal, sandbox, sync_env, import_demo
):
    """The documented path, end to end with real processes: a new key goes first in
    MSPWEB_FERNET_KEYS, `flask accounts rotate-key` re-encrypts, the old key is removed, and
    a worker that knows only the new key still synchronizes. Removing the old key before
    rotating fails the sync cleanly, saying what to do."""
    account = import_demo(sync=False)
    old_key = fast_portal.config["FERNET_KEYS"]
    new_key = Fernet.generate_key().decode()

    def stored() -> bytes:
        db.session.commit()
        return bytes(db.session.scalar(select(Account.password_encrypted)))

    def sync_in_a_worker(keys: str) -> SyncRun:
        run_id = request_sync(db.session.get(Account, account.id)).id
        worker = subprocess.run(
            [sys.executable, "-m", "mspweb.worker", "--burst"],
            cwd=ROOT,
            env=dict(sync_env, MSPWEB_FERNET_KEYS=keys),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stdout + worker.stderr
        db.session.commit()
        return db.session.get(SyncRun, run_id)

    too_early = sync_in_a_worker(new_key)  # the old key removed before rotating
    assert too_early.status == "failed" and "cannot be decrypted" in too_early.error
    assert "rotate-key" in too_early.error
    rotate = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "accounts", "rotate-key"],
        cwd=ROOT,
        env=dict(sync_env, MSPWEB_FERNET_KEYS=f"{new_key},{old_key}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rotate.returncode == 0, rotate.stdout + rotate.stderr
    assert "Re-encrypted 1 stored passwords" in rotate.stdout
    assert Fernet(new_key.encode()).decrypt(stored()) == sandbox.main.password.encode()
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(stored())
    after = sync_in_a_worker(new_key)
    assert after.status == "succeeded", after.error
    assert after.licenses_added == 60
