"""The change log of a sync that writes early (R21): licenses (and their pools) inserted while
the listing is still read are recorded like those written at the end, in the same
transaction, so a sync that fails after writing early records nothing.

Small chunks (``SYNC_STREAM_CHUNK``) make the sandbox's small accounts write early, on SQLite
as on PostgreSQL (``SYNC_STREAM_WRITES``); the sync runs in this process over HTTP.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Account, ChangeRecord, License
from tests.conftest import _empty_database
from tests.plugins.sync import sync_now


def _records() -> Counter[tuple]:
    """Every change record by what it says (portal identities, no database ids)."""
    return Counter(
        (row.kind, row.company_portal_id, row.license_key, row.field, row.old, row.new)
        for row in db.session.scalars(select(ChangeRecord))
    )


def _count() -> int:
    return db.session.scalar(select(func.count(ChangeRecord.id))) or 0


def _first_sync(app, import_demo, chunk: int) -> tuple[Account, dict]:
    app.config.update(SYNC_STREAM_WRITES=True, SYNC_STREAM_CHUNK=chunk)
    account = import_demo(business=True, sync=False)
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded", outcome
    return account, outcome


def test_r21_a_first_sync_that_writes_early_records_what_one_that_writes_late_does(
    app, import_demo, sandbox
):
    sandbox.control.reset(licenses=250)
    _, early_outcome = _first_sync(app, import_demo, chunk=20)
    early = _records()
    _empty_database(app)
    _first_sync(app, import_demo, chunk=100_000)
    assert early == _records()
    added = [record for record in early.elements() if record[0] == "license.added"]
    keys = set(db.session.scalars(select(License.public_key)))
    assert sorted(record[2] for record in added) == sorted(keys)  # once per key
    assert len(added) == early_outcome["licenses_added"] > 200
    assert any(record[0] == "pool.created" for record in early)


def test_r21_a_resync_after_early_writes_records_nothing(app, import_demo, sandbox):
    sandbox.control.reset(licenses=250)
    account, _ = _first_sync(app, import_demo, chunk=20)
    before = _count()
    assert before > 200
    resync = sync_now(account)
    assert resync["status"] == "succeeded", resync
    assert (resync["rows_written"], _count()) == (0, before)


def test_r21_a_sync_failing_on_its_last_page_after_early_writes_records_nothing(
    app, import_demo, sandbox
):
    sandbox.control.reset(licenses=250)  # pages of licenses: the early ones are written
    app.config.update(SYNC_STREAM_WRITES=True, SYNC_STREAM_CHUNK=20)
    account = import_demo(business=True, sync=False)
    sandbox.control.add_fault(
        path="Search/Licenses", portal="msp", last_page_only=True, kind="status", status=500
    )
    failed = sync_now(account)
    assert failed["status"] == "failed", failed
    assert (_count(), db.session.scalar(select(func.count(License.id)))) == (0, 0)
    sandbox.control.clear_faults()
    succeeded = sync_now(account)
    assert succeeded["status"] == "succeeded", succeeded
    runs = set(db.session.scalars(select(ChangeRecord.sync_run_id)))
    assert runs == {succeeded["run_id"]}
    added = Counter(
        db.session.scalars(
            select(ChangeRecord.license_key).where(ChangeRecord.kind == "license.added")
        )
    )
    assert set(added.values()) == {1} and len(added) == succeeded["licenses_added"]
