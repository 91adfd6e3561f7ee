"""The `flask accounts` commands, as an operator (or a check script) runs them."""

from __future__ import annotations

import json
import signal

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from mspweb.crypto import decrypt_secret
from mspweb.extensions import db
from mspweb.models import Account, License, SyncRun
from tests.conftest import start_rq_worker


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["accounts", *args], catch_exceptions=False)


def _import(app, sandbox, *extra: str):
    demo = sandbox.accounts["northwind"]
    return _run(
        app,
        "import",
        "--portal-url",
        sandbox.msp_url,
        "--username",
        demo.username,
        "--password",
        demo.password,
        *extra,
    )


def test_import_prints_the_new_account_id_last(fast_portal, sandbox):
    result = _import(fast_portal, sandbox, "--business-url", sandbox.business_url, "--no-sync")
    assert result.exit_code == 0, result.output
    account_id = int(result.output.strip().splitlines()[-1])
    assert db.session.get(Account, account_id).kind == "mixed"
    assert db.session.scalar(select(func.count(SyncRun.id))) == 0


def test_r01_import_refusal_exits_non_zero_with_the_message(fast_portal, sandbox):
    demo = sandbox.accounts["contoso"]
    result = _run(
        fast_portal,
        "import",
        "--portal-url",
        sandbox.msp_url,
        "--username",
        demo.username,
        "--password",
        demo.password,
    )
    assert result.exit_code != 0
    assert "is a Distributor account" in result.output


def test_list_show_and_inline_sync(fast_portal, sandbox):
    account_id = _import(fast_portal, sandbox, "--no-sync").output.strip().splitlines()[-1]
    assert account_id in _run(fast_portal, "list").output
    result = _run(fast_portal, "sync", account_id, "--inline")
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output and "60 licenses added" in result.output
    shown = json.loads(_run(fast_portal, "show", account_id, "--json").output)
    assert {"id", "kind", "state", "companies"} <= set(shown)
    assert (shown["kind"], shown["state"], shown["licenses"]) == ("msp", "active", 60)
    root = shown["companies"][0]
    assert set(root) >= {
        "portal_id",
        "name",
        "type",
        "parent_portal_id",
        "customer_status",
        "in_license_tree",
    }
    assert (root["name"], root["type"], root["parent_portal_id"]) == ("Northwind MSP", 1005, None)
    customers = [c for c in shown["companies"] if c["type"] == 1007]
    assert {c["parent_portal_id"] for c in customers} == {root["portal_id"]}
    assert {c["in_license_tree"] for c in customers} == {True, False}  # R07


def test_import_then_sync_wait_with_a_worker_process(fast_portal, sandbox, sync_env):
    result = _import(fast_portal, sandbox)
    assert "First synchronization queued" in result.output
    account_id = result.output.strip().splitlines()[-1]
    worker = start_rq_worker(sync_env)
    try:
        waited = _run(fast_portal, "sync", account_id, "--wait", "--timeout", "30")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
    assert waited.exit_code == 0, waited.output
    assert "succeeded" in waited.output
    assert db.session.scalar(select(func.count(License.id))) == 60


def test_remove_pools_needs_yes_and_reports_counts(fast_portal, sandbox):
    account_id = _import(fast_portal, sandbox, "--no-sync").output.strip().splitlines()[-1]
    _run(fast_portal, "sync", account_id, "--inline")
    result = _run(fast_portal, "remove-pools", account_id, "--yes")
    assert result.exit_code == 0, result.output
    assert "60 licenses" in result.output and "disconnected" in result.output
    assert db.session.scalar(select(func.count(License.id))) == 0


def test_rotate_key_re_encrypts_passwords_with_the_newest_key(fast_portal, sandbox):
    account_id = int(_import(fast_portal, sandbox, "--no-sync").output.strip().splitlines()[-1])
    old_keys = fast_portal.config["FERNET_KEYS"]
    new_key = Fernet.generate_key().decode()
    fast_portal.config["FERNET_KEYS"] = f"{new_key},{old_keys}"
    try:
        result = _run(fast_portal, "rotate-key")
        assert result.exit_code == 0 and "Re-encrypted 1" in result.output
        fast_portal.config["FERNET_KEYS"] = new_key  # the old key is gone
        db.session.expire_all()
        assert decrypt_secret(db.session.get(Account, account_id).password_encrypted) == "northwind"
    finally:
        fast_portal.config["FERNET_KEYS"] = old_keys
