"""Sync jobs on a real Redis and real RQ workers: one run at a time (R14), the daily run
(R13), dead workers recovered, removing pools (R11)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from mspweb.accounts.pools import pool_removal_preview, remove_pools
from mspweb.extensions import db
from mspweb.models import (
    Account,
    AuditEntry,
    Company,
    License,
    LicensePool,
    LicenseTag,
    PoolLicense,
    SyncRun,
)
from mspweb.sync.heartbeat import Heartbeat
from mspweb.sync.jobs import schedule_daily_syncs
from mspweb.sync.lifecycle import SyncRefused, active_run
from mspweb.sync.progress import run_progress
from mspweb.sync.queueing import request_sync
from mspweb.sync.recovery import refresh_stale_runs
from tests.conftest import ROOT, run_worker, start_rq_worker
from tests.plugins.sync import dump_tables, sync_now, wait_for

NOON = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _runs(account_id: int | None = None) -> list[SyncRun]:
    db.session.commit()  # a fresh transaction sees what other processes committed
    query = select(SyncRun).order_by(SyncRun.id)
    if account_id is not None:
        query = query.where(SyncRun.account_id == account_id)
    return db.session.scalars(query).all()


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_r14_asking_again_while_a_sync_is_queued_returns_that_run(import_demo, admin):
    account = import_demo(sync=False)
    first = request_sync(account, requested_by=admin)
    second = request_sync(account, requested_by=admin)
    assert first.id == second.id and len(_runs()) == 1
    assert run_progress(first)["status"] == "queued"


def test_r14_concurrent_requests_make_one_run(import_demo, app):
    account_id = import_demo(sync=False).id
    barrier = threading.Barrier(6)
    run_ids, errors = [], []

    def ask() -> None:
        with app.app_context():
            try:
                account = db.session.get(Account, account_id)
                barrier.wait()
                run_ids.append(request_sync(account).id)
            except Exception as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(run_ids)) == 1 and len(_runs()) == 1
    assert app.sync_queue.count == 1


def test_r14_worker_runs_the_queued_sync_and_reports_progress(import_demo, app):
    account = import_demo(sync=False)
    run = request_sync(account)
    run_worker(app)
    run = _runs()[0]
    assert run.status == "succeeded" and run.licenses_added == 60
    assert run.started_at and run.finished_at and run.portal_calls > 0
    progress = run_progress(run)
    assert (progress["status"], progress["percent"]) == ("succeeded", 100)
    assert "60 licenses added" in progress["message"]
    job = app.sync_queue.fetch_job(run.job_id)
    assert job.return_value()["status"] == "succeeded"
    assert job.meta["phase"] == "applying"
    assert request_sync(account).id != run.id  # done: a new request makes a new run


def test_inline_sync_takes_over_the_queued_run(import_demo, app):
    account = import_demo(sync=False)
    queued = request_sync(account)
    outcome = sync_now(account)
    assert outcome["run_id"] == queued.id and outcome["status"] == "succeeded"
    run_worker(app)  # the cancelled job does not run a second sync
    assert [run.status for run in _runs()] == ["succeeded"]


def test_separate_rq_worker_process_runs_a_full_sync(import_demo, sync_env):
    account = import_demo(business=True, sync=False)
    run = request_sync(account)
    worker = subprocess.run(
        [
            str(ROOT / ".venv/bin/rq") if (ROOT / ".venv/bin/rq").exists() else "rq",
            "worker",
            "--burst",
            "--url",
            sync_env["REDIS_URL"],
            sync_env["RQ_QUEUE"],
        ],
        env=sync_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    run = _runs()[0]
    assert run.status == "succeeded", run.error
    assert db.session.scalar(select(func.count(License.id))) == 84
    assert active_run(account.id) is None


def test_r21_worker_killed_mid_sync_is_marked_failed_and_nothing_is_half_written(
    import_demo, sandbox, sync_env, app
):
    account = import_demo()
    sandbox.control.add_company(sandbox.control.root("northwind")["id"], "Half Written Ltd")
    sandbox.control.add_license(sandbox.control.root("northwind")["id"])
    before = dump_tables()
    sandbox.control.add_fault(kind="slow", delay=4, path="Search/Licenses", count=1)
    run = request_sync(account)
    worker = start_rq_worker(sync_env)
    try:
        job = app.sync_queue.fetch_job(run.job_id)
        wait_for(lambda: job.get_meta(refresh=True).get("phase") == "licenses")
        os.kill(job.meta["pid"], signal.SIGKILL)  # the work horse, in the middle of paging
    finally:
        _stop(worker, signal.SIGKILL)
    assert _runs()[-1].status == "running"
    wait_for(lambda: refresh_stale_runs(account.id) == 1, timeout=10, step=0.25)
    run = _runs()[-1]
    assert run.status == "failed" and "worker stopped" in run.error
    assert dump_tables() == before
    sandbox.control.clear_faults()
    outcome = sync_now(account)
    assert (outcome["status"], outcome["companies_added"], outcome["licenses_added"]) == (
        "succeeded",
        1,
        1,
    )


def test_queued_run_whose_job_vanished_is_failed_and_the_account_can_sync_again(import_demo, app):
    account = import_demo(sync=False)
    run = request_sync(account)
    app.sync_queue.fetch_job(run.job_id).delete()
    assert refresh_stale_runs() == 0  # a just-queued run gets a grace period
    app.config["SYNC_QUEUE_GRACE"] = 0
    try:
        assert refresh_stale_runs() == 1
    finally:
        del app.config["SYNC_QUEUE_GRACE"]
    assert "lost" in _runs()[0].error
    assert request_sync(account).id != run.id


def test_r13_daily_sync_makes_one_run_per_account_per_day(import_demo, app):
    northwind = import_demo(sync=False)
    fabrikam = import_demo("fabrikam", sync=False)
    assert schedule_daily_syncs(NOON) == 2
    assert schedule_daily_syncs(NOON) == 0
    run_worker(app)
    assert schedule_daily_syncs(NOON) == 0  # succeeded today: not again
    runs = _runs()
    assert sorted((run.account_id, run.trigger, run.status) for run in runs) == [
        (northwind.id, "scheduled", "succeeded"),
        (fabrikam.id, "scheduled", "succeeded"),
    ]
    assert {run.scheduled_for for run in runs} == {NOON.date()}
    assert schedule_daily_syncs(NOON.replace(day=7)) == 2  # the next day
    assert schedule_daily_syncs(NOON.replace(day=8, hour=0)) == 0  # before DAILY_SYNC_HOUR


def test_r13_two_scheduler_processes_make_one_run_per_account(import_demo, app, sync_env):
    accounts = [import_demo(sync=False), import_demo("fabrikam", sync=False)]
    schedulers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mspweb.scheduler",
                "--interval",
                "1",
                "--name",
                f"test-scheduler-{number}",
            ],
            env=sync_env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for number in (1, 2)
    ]
    try:
        wait_for(lambda: app.sync_queue.count >= 4, timeout=30)
    finally:
        for scheduler in schedulers:
            _stop(scheduler)
    saved = app.config["DAILY_SYNC_HOUR"]
    app.config["DAILY_SYNC_HOUR"] = 0
    try:
        run_worker(app)
    finally:
        app.config["DAILY_SYNC_HOUR"] = saved
    runs = _runs()
    assert sorted(run.account_id for run in runs) == sorted(a.id for a in accounts)
    assert {(run.trigger, run.status) for run in runs} == {("scheduled", "succeeded")}


def test_r11_remove_pools_removes_every_pool_and_license_in_one_step(import_demo, admin, app):
    account = import_demo(business=True)
    pools, licenses = pool_removal_preview(account)
    assert (pools, licenses) == (db.session.scalar(select(func.count(LicensePool.id))), 84)
    result = remove_pools(account.id, requested_by=admin)
    assert (result.pools, result.licenses) == (pools, licenses)
    for model in (LicensePool, License, PoolLicense, LicenseTag):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    db.session.expire_all()
    companies = db.session.scalars(select(Company)).all()
    assert companies and {c.customer_status.value for c in companies} == {"unlinked"}
    assert not any(c.in_license_tree for c in companies)
    assert db.session.get(Account, account.id).state == "disconnected"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pools.remove")).one()
    assert (entry.actor, entry.details) == (admin.email, {"pools": pools, "licenses": 84})
    assert schedule_daily_syncs(NOON) == 0  # no more daily sync


def test_r11_remove_pools_is_refused_while_a_sync_runs(import_demo, app):
    account = import_demo()
    run = request_sync(account)
    db.session.execute(
        SyncRun.__table__.update().where(SyncRun.id == run.id).values(status="running")
    )
    db.session.commit()
    with Heartbeat(app.redis, run.id, 30), pytest.raises(SyncRefused, match="running"):
        remove_pools(account.id)
    assert db.session.scalar(select(func.count(License.id))) == 60
