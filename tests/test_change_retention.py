"""The change log's retention (issue 11): old records are pruned in batches by the
scheduler's daily job; company renames stay for tag drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from mspweb.changelog.retention import prune_change_log, prune_changes
from mspweb.extensions import db
from mspweb.models import ChangeRecord
from mspweb.scheduler import build_scheduler
from tests.plugins.sync import sync_now


def _count(**where) -> int:
    query = select(func.count(ChangeRecord.id))
    for name, value in where.items():
        query = query.where(getattr(ChangeRecord, name) == value)
    return db.session.scalar(query) or 0


def test_records_older_than_the_retention_are_pruned_in_batches(app, import_demo, sandbox):
    account = import_demo()
    first = _count()
    portal = sandbox.control.company("Cedar Water KG")
    sandbox.control.rename_company(portal["id"], "Cedar Water Group")
    sandbox.control.set_license(
        sandbox.control.licenses("northwind")[0]["publicLicenseKey"], usage=77
    )
    sync_now(account)
    long_ago = datetime.now(UTC) - timedelta(days=401)
    db.session.execute(update(ChangeRecord).values(created_at=long_ago))
    db.session.commit()
    sandbox.control.set_license(
        sandbox.control.licenses("northwind")[1]["publicLicenseKey"], usage=78
    )
    sync_now(account)
    total = _count()
    assert total == first + 3
    app.config["CHANGE_RETENTION_DAYS"] = 400
    assert prune_changes(batch=7) == first + 1  # everything old but the rename
    assert _count() == 2
    assert _count(kind="company.renamed") == 1  # kept: tag drift needs former names
    assert _count(field="usage") == 1  # the recent one
    assert prune_change_log() == 0  # nothing left to prune


def test_the_scheduler_runs_the_prune_once_a_day(app):
    scheduler = build_scheduler(app)
    jobs = {job.func: job for job in scheduler._cron_jobs}
    assert prune_change_log in jobs
    assert jobs[prune_change_log].cron == "40 3 * * *"
