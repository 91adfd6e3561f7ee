"""Load under a running sync: `python bench/load.py [--seconds 60] [--users 16]`.

What it runs, all on the loopback interface and all stopping by themselves:

- the sandbox portal as a subprocess (main demo account: --companies 2000, --licenses 50000);
- the database of DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench_load,
  created if absent) and the Redis of REDIS_URL (default redis://127.0.0.1:6379/7); the
  account is imported and synchronized once, and reused by later runs;
- gunicorn with --web-workers (4) sync workers serving the console (`wsgi:app`);
- --users (16) people, each a thread with its own requests.Session signed in as its own
  administrator, browsing /licenses (first page, filters by tag, tree node and status,
  search, sort, paging, as htmx fragments like the page asks for them), /customers and
  /computers, and adding and removing tags, with no think time;
- two phases of --seconds (60) each: without a sync, then while full syncs of the same
  account run back to back in a real worker process (`python -m mspweb.worker`), after the
  portal changed (usages, new licenses, renamed companies) so the first one writes.

Prints requests, errors (must be 0), p50/p95 per scenario and overall for both phases, the
ratio p95(with sync) / p95(without) (target <= 2), how much of the second phase a sync was
running, and the machine. Exit status 1 when errors occurred or the target was missed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_figures import cpu_snapshot, cpu_used, machine, summary  # noqa: E402
from bench.load_stack import (  # noqa: E402
    FERNET_KEY,
    QUEUE,
    console_env,
    ensure_database,
    start_gunicorn,
    start_sandbox,
    stop,
    wait_until,
)
from bench.load_users import (  # noqa: E402
    HX,
    SCENARIOS,
    USER_PASSWORD,
    User,
    lookups,
    run_phase,
    sign_in,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
TARGET_RATIO = 2.0

# -- processes ----------------------------------------------------------------------------------


# -- the dataset --------------------------------------------------------------------------------


def prepare(app, sandbox_url: str, users: int) -> int:
    """Schema, the benchmark's administrators, the imported and synchronized account (reused
    when present: its portal URLs are pointed at this sandbox and it is synchronized to the
    seed's world). Returns the account id."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select, update

    from mspweb.accounts.service import import_account
    from mspweb.extensions import db
    from mspweb.models import Account, License, User
    from mspweb.sandbox.world import MAIN_ACCOUNT
    from mspweb.sync.recovery import refresh_stale_runs
    from mspweb.sync.runner import run_inline
    from mspweb.users.service import create_user

    with app.app_context():
        upgrade()
        for number in range(users):
            email = f"bench-user-{number}@bench.example"
            if db.session.scalar(select(User.id).where(User.email == email)) is None:
                create_user(email, USER_PASSWORD, "admin", None)
        db.session.commit()
        account = db.session.scalars(
            select(Account).where(Account.username == MAIN_ACCOUNT.username)
        ).first()
        msp_url, business_url = f"{sandbox_url}/msp", f"{sandbox_url}/business"
        started = time.perf_counter()
        if account is None:
            print("importing the account (first run: the first sync of 50,000 licenses)...")
            account, _ = import_account(
                msp_url,
                business_url,
                MAIN_ACCOUNT.username,
                MAIN_ACCOUNT.password,
                enqueue_sync=False,
            )
        else:
            db.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(msp_url=msp_url, business_url=business_url)
            )
            db.session.commit()
            print("reusing the imported account; synchronizing it to the sandbox's world...")
        refresh_stale_runs(account.id)
        outcome = run_inline(account)
        if outcome["status"] != "succeeded":
            raise SystemExit(f"the preparing sync failed: {outcome}")
        licenses = db.session.scalar(
            select(func.count(License.id)).where(License.account_id == account.id)
        )
        print(
            f"  {licenses:,} licenses, sync in {time.perf_counter() - started:.1f} s "
            f"({outcome['rows_written']:,} rows written)"
        )
        return account.id


# -- the people -----------------------------------------------------------------------------------


# -- the sync during the second phase -------------------------------------------------------------
def change_the_portal(sandbox_url: str) -> None:
    """Usages of 500 licenses, 100 new licenses, 20 renamed companies: the first sync writes."""
    from mspweb.sandbox.control import SandboxControl

    control = SandboxControl(sandbox_url)
    rng = random.Random(time.time_ns())
    companies = [c for c in control.companies("northwind") if c["type"] == 1007]
    licenses = control.licenses("northwind")
    for item in rng.sample(licenses, 500):
        control.set_license(item["publicLicenseKey"], usage=rng.randint(0, item["quantity"]))
    for company in rng.sample(companies, 20):
        control.rename_company(company["id"], f"{company['name']} (renamed {rng.randint(1, 999)})")
    with_licenses = [c for c in companies if c["licenseCount"]]
    for _ in range(100):
        control.add_license(rng.choice(with_licenses)["id"])
    control.session.close()


class SyncDriver(threading.Thread):
    """Keeps a sync of the account queued or running until told to stop."""

    def __init__(self, app, account_id: int) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.account_id = account_id
        self.stopping = threading.Event()
        self.run_ids: list[int] = []

    def run(self) -> None:
        from mspweb.extensions import db
        from mspweb.models import Account
        from mspweb.sync.lifecycle import active_run
        from mspweb.sync.queueing import request_sync

        with self.app.app_context():
            while not self.stopping.is_set():
                db.session.commit()
                if active_run(self.account_id) is None:
                    run = request_sync(db.session.get(Account, self.account_id))
                    self.run_ids.append(run.id)
                self.stopping.wait(0.5)

    def runs(self) -> list:
        """The runs it asked for, as they are now."""
        from sqlalchemy import select

        from mspweb.extensions import db
        from mspweb.models import SyncRun

        with self.app.app_context():
            return list(
                db.session.scalars(
                    select(SyncRun).where(SyncRun.id.in_(self.run_ids)).order_by(SyncRun.id)
                )
            )


def sync_coverage(runs: list, started: float, seconds: float) -> float:
    """The share of the phase during which one of `runs` was running."""
    from datetime import UTC, datetime

    window = (started, started + seconds)
    covered = 0.0
    for run in runs:
        if run.started_at is None:
            continue
        begin = run.started_at.timestamp()
        end = (run.finished_at or datetime.now(UTC)).timestamp()
        covered += max(0.0, min(end, window[1]) - max(begin, window[0]))
    return min(1.0, covered / seconds)


# -- CPU accounting -------------------------------------------------------------------------------


# -- figures --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50_000)
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=0,
        help="the sync's portal calls per second (0: none, so syncs run back "
        "to back at full speed; production's default is 10)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the sync worker with this nice value (0: as shipped)",
    )
    args = parser.parse_args()

    from config import database_url as normalise

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    ensure_database(database_url)
    env = console_env(database_url, redis_url, args.rate_limit)
    os.environ.update(
        {
            key: env[key]
            for key in (
                "DATABASE_URL",
                "REDIS_URL",
                "RQ_QUEUE",
                "SECRET_KEY",
                "MSPWEB_FERNET_KEYS",
                "PORTAL_MAX_CALLS_PER_SECOND",
                "LOG_LEVEL",
            )
        }
    )
    from mspweb import create_app

    app = create_app(
        "config.Config",
        SQLALCHEMY_DATABASE_URI=normalise(database_url),
        REDIS_URL=redis_url,
        RQ_QUEUE=QUEUE,
        FERNET_KEYS=FERNET_KEY,
        PORTAL_MAX_CALLS_PER_SECOND=args.rate_limit,
        LOG_LEVEL="WARNING",
    )
    print(f"machine: {machine()}")
    print(f"database: {re.sub(r'://[^@]*@', '://', database_url)}; redis: {redis_url}")
    processes: list[subprocess.Popen] = []
    try:
        started = time.perf_counter()
        sandbox, sandbox_url = start_sandbox(args.companies, args.licenses)
        processes.append(sandbox)
        print(
            f"sandbox: {args.companies:,} companies, {args.licenses:,} licenses, ready in "
            f"{time.perf_counter() - started:.1f} s"
        )
        account_id = prepare(app, sandbox_url, args.users)
        look = lookups(app, account_id)
        web, base = start_gunicorn(env, args.web_workers)
        processes.append(web)
        users = []
        for number in range(args.users):
            session, csrf = sign_in(base, f"bench-user-{number}@bench.example")
            users.append(User(number, base, session, csrf, random.Random(number)))
        print(f"gunicorn: {args.web_workers} workers at {base}; {len(users)} users signed in")
        run_phase(users, look, min(10.0, args.seconds))  # warm-up: caches, connections
        print(f"phase 1: {args.seconds:.0f} s without a sync...")
        groups = {"web (gunicorn)": web.pid, "sandbox": sandbox.pid}
        cpu_start = cpu_snapshot(groups)
        quiet, _ = run_phase(users, look, args.seconds)
        cpu_quiet = cpu_used(cpu_start, cpu_snapshot(groups))
        change_the_portal(sandbox_url)
        nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        worker = subprocess.Popen(
            [*nice, sys.executable, "-m", "mspweb.worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(worker)
        groups["worker (syncs)"] = worker.pid
        from rq import Worker

        wait_until(lambda: Worker.all(queue=app.sync_queue), "the worker", 120)
        driver = SyncDriver(app, account_id)
        driver.start()
        with app.app_context():
            wait_until(
                lambda: any(run.status == "running" for run in driver.runs()),
                "the first sync's start",
                120,
            )
        print(f"phase 2: {args.seconds:.0f} s while full syncs run back to back...")
        cpu_start = cpu_snapshot(groups)
        busy, busy_started = run_phase(users, look, args.seconds)
        driver.stopping.set()
        driver.join(timeout=10)
        wait_until(
            lambda: all(run.status in ("succeeded", "failed") for run in driver.runs()),
            "the last sync's end",
            600,
        )
        cpu_busy = cpu_used(cpu_start, cpu_snapshot(groups))
        runs = driver.runs()
        coverage = sync_coverage(runs, busy_started, args.seconds)
        for user in users:  # take the benchmark's tags off again
            for license_id, name in user.pending_tags:
                user.session.post(
                    f"{base}/licenses/tags",
                    timeout=120,
                    headers={**HX, "X-CSRFToken": user.csrf},
                    data={"license": str(license_id), "name": name, "action": "remove"},
                )
    finally:
        for process in reversed(processes):
            stop(process)

    before, during = summary(quiet), summary(busy)
    print(
        f"\nLoad: gunicorn {args.web_workers} workers, {args.users} users, "
        f"{args.seconds:.0f} s per phase, {args.licenses:,} licenses, sync rate limit "
        f"{args.rate_limit:g}/s (0: none), worker nice {args.worker_nice}"
    )
    print(
        f"{'scenario':24}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'requests':>11}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p95 x':>8}"
    )
    print(f"{'':24}{'--- without a sync ---':>36}{'----- while syncing -----':>37}")
    for name in [*SCENARIOS, "overall"]:
        a, b = before.get(name, (0, 0, 0, 0)), during.get(name, (0, 0, 0, 0))
        ratio = b[3] / a[3] if a[3] else 0.0
        print(
            f"{name:24}{a[0]:>10,}{a[1]:>8}{a[2]:>9.0f}{a[3]:>9.0f}"
            f"{b[0]:>11,}{b[1]:>8}{b[2]:>9.0f}{b[3]:>9.0f}{ratio:>8.2f}"
        )
    statuses = sorted({str(r.status) for r in quiet + busy if not r.ok})
    outcomes = [
        (
            run.status,
            (run.finished_at - run.started_at).total_seconds()
            if run.finished_at and run.started_at
            else None,
            run.rows_written,
        )
        for run in runs
    ]
    print(
        f"\nsyncs during phase 2: {len(runs)} "
        + ", ".join(
            f"{status} in {secs:.0f} s ({rows:,} rows)" if secs else status
            for status, secs, rows in outcomes
        )
        + f"; a sync was running {coverage:.0%} of the phase"
    )
    print(
        f"CPU seconds ({os.cpu_count()} CPUs x {args.seconds:.0f} s = "
        f"{os.cpu_count() * args.seconds:.0f} available per phase):"
    )
    print(f"  without a sync: {cpu_quiet}")
    print(f"  while syncing:  {cpu_busy} (worker: until the last sync ended)")
    ratio = during["overall"][3] / before["overall"][3] if before["overall"][3] else 0.0
    errors = before["overall"][1] + during["overall"][1]
    print(f"errors: {errors}{' (' + ', '.join(statuses) + ')' if statuses else ''}")
    print(f"p95 with sync / p95 without: {ratio:.2f} (target <= {TARGET_RATIO:g})")
    met = errors == 0 and ratio <= TARGET_RATIO and all(s == "succeeded" for s, *_ in outcomes)
    print("met" if met else "MISSED")
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
