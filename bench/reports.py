"""Reports at scale: 2,000 companies, 50,000 licenses, 13 months of usage history.

    .venv/bin/python bench/reports.py                       # SQLite (bench/results/reports.db)
    DATABASE_URL=postgresql://... .venv/bin/python bench/reports.py

Serves the sandbox (in a thread) with a main account of that size, imports it, runs its first
sync and the usage backfill (real HTTP, real portal client), then a same-day resync and a
"first sync of a month" (the month-end range read again), counting the usage-report calls the
sandbox answered. Then it requests the three report pages N times in-process (Flask test
client) and prints cold, median and p95 server times, and the rows and megabytes the usage
history takes. Target: p95 under 150 ms; backfill at most 14 x ceil(companies / 100) calls,
a daily refresh at most ceil(companies / 100) (twice on the first sync of a month).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MSPWEB_INSTANCE_PATH", str(RESULTS / "instance"))

EMAIL, PASSWORD = "bench-reports@msp.example", "bench-password-1"
USAGE_CALL = "msp/UsageReport/AllCompanies/products"
TARGET_MS = 150.0


def make_app():
    """The console on the benchmark database (DATABASE_URL, else SQLite in bench/results)."""
    from config import Config, database_url
    from mspweb import create_app

    RESULTS.mkdir(parents=True, exist_ok=True)
    url = database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{RESULTS / 'reports.db'}")
    return create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=url,
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        SECRET_KEY="bench-secret-key",
        PORTAL_MAX_CALLS_PER_SECOND=0,
    )


def fresh_schema(app) -> None:
    """Drop everything and migrate to head."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from mspweb.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.session.remove()
        db.engine.dispose()
        path = Path(db.engine.url.database or "")
        path.unlink(missing_ok=True)
    upgrade(directory=str(ROOT / "migrations"))


def timed(label: str, work):
    """Run `work()`, print how long it took, return its result."""
    started = time.perf_counter()
    result = work()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def build_history(app, sandbox, companies: int, licenses: int) -> dict:
    """Import, sync, backfill, resync and month-start resync; returns the call counts."""
    from mspweb.accounts.service import import_account
    from mspweb.extensions import db
    from mspweb.models.usage import UsageStatus
    from mspweb.sandbox.world import MAIN_ACCOUNT
    from mspweb.sync.service import run_inline
    from mspweb.usage.backfill import run_inline as backfill
    from mspweb.users.service import create_user

    control = sandbox["control"]
    account, _ = import_account(
        sandbox["url"] + "/msp", None, MAIN_ACCOUNT.username, MAIN_ACCOUNT.password
    )
    outcome = timed("first sync", lambda: run_inline(account))
    assert outcome["status"] == "succeeded", outcome
    before = control.calls("UsageReport/AllCompanies/products")
    outcome = timed("backfill", lambda: backfill(account.id))
    assert outcome["status"] == "succeeded", outcome
    backfill_calls = control.calls("UsageReport/AllCompanies/products") - before
    before = control.calls("UsageReport/AllCompanies/products")
    outcome = timed("same-day resync", lambda: run_inline(account))
    refresh_calls = control.calls("UsageReport/AllCompanies/products") - before
    status = db.session.get(UsageStatus, account.id)  # as if the month had just ended
    assert status is not None and status.month_end_through is not None
    status.month_end_through = status.month_end_through - timedelta(days=31)
    db.session.commit()
    before = control.calls("UsageReport/AllCompanies/products")
    timed("first sync of a month", lambda: run_inline(account))
    month_calls = control.calls("UsageReport/AllCompanies/products") - before
    create_user(EMAIL, PASSWORD, "admin")
    db.session.commit()
    readable = sum(1 for c in control.companies() if c["access"] != "NoAccess")
    return {
        "account_id": account.id,
        "readable": readable,
        "backfill_calls": backfill_calls,
        "refresh_calls": refresh_calls,
        "month_calls": month_calls,
    }


def storage(app) -> tuple[int, int, float]:
    """Rows of usage_month and usage_account_day, and the megabytes both take."""
    from sqlalchemy import func, select, text

    from mspweb.extensions import db
    from mspweb.models.usage import UsageAccountDay, UsageMonth

    months = db.session.scalar(select(func.count()).select_from(UsageMonth)) or 0
    days = db.session.scalar(select(func.count()).select_from(UsageAccountDay)) or 0
    if db.engine.dialect.name == "postgresql":
        size = db.session.scalar(
            text(
                "SELECT pg_total_relation_size('usage_month') "
                "+ pg_total_relation_size('usage_account_day')"
            )
        )
    else:
        size = db.session.scalar(
            text(
                "SELECT SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name "
                "WHERE m.tbl_name IN ('usage_month', 'usage_account_day')"
            )
        )
    return months, days, (size or 0) / 1e6


def sql_timer():
    """A list that collects each SQL statement's seconds (cursor execute to its end)."""
    from sqlalchemy import event

    from mspweb.extensions import db

    spent: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        spent.append(time.perf_counter() - conn.info.pop("bench_started", time.perf_counter()))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    return spent


def measure(app, requests: int) -> list[tuple]:
    """(url, cold ms, median ms, p95 ms, median CPU ms, median SQL ms) of each report page:
    wall time, the process's CPU time and the time spent in SQL statements of each request."""
    from mspweb.usage.refresh import utc_today

    last_month = (utc_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    urls = [
        "/reports/license-users?group=user",
        "/reports/usage?range=13m",
        "/reports/usage/data?range=13m",
        f"/reports/billing?month={last_month}",
    ]
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    spent = sql_timer()
    results = []
    for url in urls:
        times, cpu, sql = [], [], []
        for _ in range(requests):
            spent.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            sql.append(sum(spent) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        ordered = sorted(times)
        p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
        median = statistics.median
        results.append((url, times[0], median(times), p95, median(cpu), median(sql)))
    return results


def main() -> None:
    """Build the history and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the pages on the database a previous run built (migrated to head)",
    )
    args = parser.parse_args()
    if args.reuse:
        reuse(args.requests)
        return

    from mspweb.sandbox import SandboxConfig
    from mspweb.sandbox import create_app as sandbox_app
    from mspweb.sandbox.control import SandboxControl
    from mspweb.sandbox.server import run_in_thread

    server = run_in_thread(
        sandbox_app(
            SandboxConfig(companies=args.companies, licenses=args.licenses, enable_admin=True)
        )
    )
    sandbox = {"url": server.url, "control": SandboxControl(server.url, timeout=600)}
    app = make_app()
    with app.app_context():
        from mspweb.extensions import db

        database = db.engine.dialect.name
        print(f"reports benchmark on {database}, load average {os.getloadavg()}", flush=True)
        fresh_schema(app)
        calls = build_history(app, sandbox, args.companies, args.licenses)
        months, days, megabytes = storage(app)
        results = measure(app, args.requests)
    server.stop()
    pages = math.ceil(calls["readable"] / 100)
    print(f"\nreadable companies: {calls['readable']} ({pages} pages of 100)")
    print(f"backfill usage-report calls: {calls['backfill_calls']} (limit {14 * pages})")
    print(f"same-day refresh calls: {calls['refresh_calls']} (limit {pages})")
    print(f"first-sync-of-month calls: {calls['month_calls']} (limit {2 * pages})")
    print(f"storage, 13 months + today: usage_month {months:,} rows, usage_account_day "
          f"{days:,} rows, {megabytes:.1f} MB; per year ~{months * 12 / 14:,.0f} + "
          f"{days * 12 / 14:,.0f} rows, ~{megabytes * 12 / 14:.1f} MB")  # fmt: skip
    print_pages(results)


def print_pages(results: list[tuple]) -> None:
    """The page table: wall times, and the median CPU and SQL time of a request."""
    times = f"{'cold ms':>9} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'SQL ms':>7}"
    print(f"\n{'page':<42} {times}")
    for url, cold, median, p95, cpu, sql in results:
        flag = "" if p95 < TARGET_MS else "  over target"
        print(f"{url:<42} {cold:9.1f} {median:10.1f} {p95:8.1f} {cpu:7.1f} {sql:7.1f}{flag}")
    print(f"load average after: {os.getloadavg()}")


def reuse(requests: int) -> None:
    """Measure the pages on the database a previous run built (after `flask db upgrade`)."""
    from flask_migrate import upgrade

    app = make_app()
    with app.app_context():
        from mspweb.extensions import db

        print(f"reports benchmark (reused data) on {db.engine.dialect.name}, "
              f"load average {os.getloadavg()}", flush=True)  # fmt: skip
        upgrade(directory=str(ROOT / "migrations"))
        print_pages(measure(app, requests))


if __name__ == "__main__":
    main()
