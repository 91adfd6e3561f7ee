"""Page speed: median and p95 server time of the console's pages on a 50,000-license account.

    .venv/bin/python bench/pages.py                  # SQLite (bench/results/pages.db)
    DATABASE_URL=postgresql://... .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --load           # then gunicorn, 16 connections, 30 s

Builds (once, then reuses) an account of 2,000 companies and 50,000 licenses with bulk inserts
(`bench/pages_dataset.py`), signs in with the Flask test client and requests every variant of
/licenses (and /customers, /computers, /tags when installed) N times. "Server time" is the time
the app takes to answer in-process (no network). `cold` is the first request of a variant (its
caches empty); median and p95 are over all N requests, the cold one included. Target: p95 under
50 ms. `--load` then serves the same database with gunicorn (4 workers) and runs a bounded load
(`bench/pages_load.py`) against /licenses, printing throughput and errors.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MSPWEB_INSTANCE_PATH", str(RESULTS / "instance"))

BENCH_EMAIL = "bench-admin@msp.example"
CUSTOMER_EMAIL = "bench-customer@msp.example"
BENCH_PASSWORD = "bench-password-1"
TARGET_MS = 50.0
#: Exports are timed fewer times (a 200,000-row export takes seconds).
EXPORT_REQUESTS = 3


_EMBEDDED_REDIS = []
"""The embedded Redis this process started (kept referenced: it stops when collected)."""


def _embedded_redis_url() -> str:
    """Start an embedded Redis for the benchmark (REDIS_URL unset) and return its URL."""
    from mspweb.embedded_redis import embedded_redis_url, start_embedded_redis

    if not _EMBEDDED_REDIS:
        _EMBEDDED_REDIS.append(start_embedded_redis(str(RESULTS / "redis.db")))
    return embedded_redis_url(_EMBEDDED_REDIS[0])


def make_app(licenses: int = 50_000):
    """The console app on the benchmark database (DATABASE_URL, else SQLite in bench/results:
    pages.db for the default size, pages-<licenses>.db for another, so each is built once)."""
    from config import Config, database_url
    from mspweb import create_app

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "pages.db" if licenses == 50_000 else f"pages-{licenses}.db"
    url = database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{RESULTS / name}")
    return create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=url,
        REDIS_URL=os.environ.get("REDIS_URL") or _embedded_redis_url(),
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        SECRET_KEY="bench-secret-key",
    )


def prepare(app, companies: int, licenses: int, rebuild: bool) -> None:
    """Migrate, build the dataset unless it is there, and create the benchmark users."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from bench.pages_dataset import build_dataset, dataset_present
    from mspweb.extensions import db
    from mspweb.models import Company, User
    from mspweb.users.service import create_user

    with app.app_context():
        if rebuild:  # the console's tables only (CASCADE: also an older schema's constraints)
            with db.engine.begin() as connection:
                cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
                if not cascade:
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for name in [*db.metadata.tables, "alembic_version"]:
                    connection.execute(text(f'DROP TABLE IF EXISTS "{name}"{cascade}'))
        upgrade()
        if not dataset_present(companies, licenses):
            if db.session.scalar(select(Company.id).limit(1)) is not None:
                sys.exit("The benchmark database holds other data: run again with --rebuild.")
            started = time.perf_counter()
            build_dataset(companies, licenses)
            print(
                f"built {companies:,} companies / {licenses:,} licenses "
                f"in {time.perf_counter() - started:.1f} s"
            )
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        if db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL)) is None:
            create_user(BENCH_EMAIL, BENCH_PASSWORD, "admin")
            customer = db.session.scalar(
                select(Company)
                .where(Company.entity_type == 1007, Company.in_license_tree)
                .order_by(Company.id)
            )
            create_user(CUSTOMER_EMAIL, BENCH_PASSWORD, "customer", customer)
            db.session.commit()


def variants(app, licenses: int = 50_000) -> list[tuple[str, str, str]]:
    """(label, who, URL) of every measured request."""
    from sqlalchemy import select

    from mspweb.extensions import db
    from mspweb.models import Company

    with app.app_context():
        msp = db.session.scalar(select(Company.id).where(Company.name == "Managed MSP 02"))
        tag = "vip"
    middle = max(1, licenses // 100)  # the middle page of 50 rows
    rows = [
        ("/licenses first page", "admin", "/licenses"),
        ("/licenses first page (htmx fragment)", "admin", "/licenses#hx"),
        ("/licenses filtered by tag", "admin", f"/licenses?tag={tag}"),
        ("/licenses filtered by tree node", "admin", f"/licenses?company={msp}"),
        ("/licenses search", "admin", "/licenses?q=alpine"),
        ("/licenses sorted by License User", "admin", "/licenses?sort=user"),
        ("/licenses sorted by status", "admin", "/licenses?sort=status&dir=desc"),
        ("/licenses sorted by product", "admin", "/licenses?sort=product"),
        (
            f"/licenses deep page ({middle:,} of {2 * middle:,})",
            "admin",
            f"/licenses?page={middle}",
        ),
        (f"/licenses deep page {middle + 1:,}, by Next", "admin", f"/licenses?page={middle}#next"),
        ("/licenses filtered by status", "admin", "/licenses?status=overused"),
        ("/licenses as a customer", "customer", "/licenses"),
        ("/licenses/export.csv (all rows)", "admin", "/licenses/export.csv"),
        ("/tags", "admin", "/tags"),
    ]
    for endpoint, url in (("customers.index", "/customers"), ("computers.index", "/computers")):
        if endpoint in app.view_functions:
            rows.append((url, "admin", url))
    return rows


def measure(
    app, requests: int, licenses: int = 50_000
) -> list[tuple[str, float, float, float, float, int]]:
    """Time every variant; returns (label, cold, median, p95, median CPU, status) per variant.

    CPU is this process's CPU time per request: on a busy machine it shows what a request
    costs without the waiting (with PostgreSQL, the database server's own work is not in it).
    """
    clients = {}
    for who, email in (("admin", BENCH_EMAIL), ("customer", CUSTOMER_EMAIL)):
        clients[who] = app.test_client()
        response = clients[who].post("/login", data={"email": email, "password": BENCH_PASSWORD})
        assert response.status_code == 302, response.text
    results = []
    for label, who, url in variants(app, licenses):
        headers = {"HX-Request": "true"} if url.endswith("#hx") else {}
        path = url.removesuffix("#hx")
        if url.endswith("#next"):  # the page's Next link (with its anchor row), as clicked
            found = re.search(r'href="([^"]+)"[^>]*rel="next"', clients[who].get(path[:-5]).text)
            path = html.unescape(found.group(1))
        timings, cpu, status = [], [], 0
        for _ in range(min(requests, EXPORT_REQUESTS) if "export" in label else requests):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = clients[who].get(path, headers=headers)
            body = response.get_data()  # a streamed export is timed to its last byte
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            status = response.status_code
        ordered = sorted(timings)
        p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank
        results.append(
            (label, timings[0], statistics.median(timings), p95, statistics.median(cpu), status)
            + (len(body),)  # the HTML (or CSV) bytes of the answer, uncompressed
        )
    return results


def report(results, database: str, requests: int) -> None:
    """Print the figures as a table."""
    load = os.getloadavg()[0]
    print(
        f"\nServer time in ms, {requests} requests per variant, {database}, "
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'variant':42} {'cold':>8} {'median':>8} {'p95':>8} {'cpu':>7} {'bytes':>10}  status")
    for label, cold, median, p95, cpu, status, size in results:
        flag = "" if p95 < TARGET_MS or "export" in label else "  over target"
        print(
            f"{label:42} {cold:8.1f} {median:8.1f} {p95:8.1f} {cpu:7.1f} {size:10,}  {status}{flag}"
        )


def main() -> None:
    """Parse the arguments, build or reuse the dataset, measure, and optionally load-test."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30, help="requests per variant")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the data")
    parser.add_argument("--load", action="store_true", help="also run the gunicorn load test")
    parser.add_argument("--seconds", type=int, default=30, help="load test duration")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    args = parser.parse_args()
    app = make_app(args.licenses)
    prepare(app, args.companies, args.licenses, args.rebuild)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    report(measure(app, args.requests, args.licenses), database, args.requests)
    if args.load:
        from bench.pages_load import run_load

        run_load(app, BENCH_EMAIL, BENCH_PASSWORD, args.seconds, args.connections)


if __name__ == "__main__":
    main()
