"""Benchmark the change log: `python bench/changes.py [--companies 2000] [--licenses 50000]
[--days 3] [--share 0.02]`.

Serves the sandbox in this process (the main demo account sized by the options), imports it
into SQLite in a temporary folder (or the empty database of DATABASE_URL) and runs real syncs:

- the first sync (every company, license and pool is recorded as added);
- a resync with nothing changed (must record nothing);
- `--days` simulated days: each day `--share` of the licenses change usage in the portal (and
  one in ten of those also their seats), then a sync; between days the day's records are
  moved back one day, so the per-day usage rule sees a new day;
- the same day once more, with other usage values for the same licenses: the second usage
  change of a day replaces the first, so the records do not grow.

Prints the change rows each sync wrote, the sync's time, the table's size on disk (data and
indexes: SQLite's dbstat, PostgreSQL's pg_total_relation_size) per row, and the projected rows
and storage per year (365 days of the daily rate, and the 400-day retention's steady state).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FERNET_KEY = "Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E="


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _table_bytes(db) -> int:
    """The change_record table's size on disk, with its indexes."""
    from sqlalchemy import text

    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            return connection.scalar(text("SELECT pg_total_relation_size('change_record')"))
        names = ["change_record"] + [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='change_record'"
                )
            )
        ]
        marks = ", ".join(f"'{name}'" for name in names)
        return connection.scalar(text(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})"))


def _records(db) -> int:
    from sqlalchemy import func, select

    from mspweb.models import ChangeRecord

    return db.session.scalar(select(func.count(ChangeRecord.id))) or 0


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.02)
    args = parser.parse_args()

    from config import TestConfig, database_url
    from mspweb import create_app
    from mspweb.sandbox import SandboxConfig
    from mspweb.sandbox import create_app as sandbox_app
    from mspweb.sandbox.control import SandboxControl
    from mspweb.sandbox.server import run_in_thread
    from mspweb.sandbox.world import MAIN_ACCOUNT

    workdir = tempfile.mkdtemp(prefix="mspweb-bench-changes-")
    server = run_in_thread(
        sandbox_app(
            SandboxConfig(companies=args.companies, licenses=args.licenses, enable_admin=True)
        )
    )
    raw_url = os.environ.get("DATABASE_URL")
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        from mspweb.broker import embedded_redis_url, start_embedded_redis

        redis_server = start_embedded_redis(f"{workdir}/redis.db")
        redis_url = embedded_redis_url(redis_server)
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url(raw_url or f"sqlite:///{workdir}/bench.db"),
        REDIS_URL=redis_url,
        FERNET_KEYS=FERNET_KEY,
        PORTAL_MAX_CALLS_PER_SECOND=0,
        TESTING=False,
    )
    database = "PostgreSQL" if raw_url and raw_url.startswith("postgres") else "SQLite"
    print(
        f"change log benchmark: {args.companies} companies, {args.licenses} licenses, "
        f"{args.share:.0%} changing per day; {database}; load average {_load()} "
        f"on {os.cpu_count()} CPUs"
    )
    control = SandboxControl(server.url)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from mspweb.accounts.service import import_account
            from mspweb.extensions import db
            from mspweb.sync.service import run_inline

            upgrade(directory=str(ROOT / "migrations"))
            account, _ = import_account(
                f"{server.url}/msp",
                f"{server.url}/business",
                MAIN_ACCOUNT.username,
                MAIN_ACCOUNT.password,
                enqueue_sync=False,
            )

            def sync(label: str) -> int:
                before = _records(db)
                started = time.perf_counter()
                outcome = run_inline(account)
                seconds = time.perf_counter() - started
                assert outcome["status"] == "succeeded", outcome
                written = _records(db) - before
                print(
                    f"{label:<34} {seconds:6.2f} s  {outcome['rows_written']:>7} data rows  "
                    f"{written:>7} change rows (net)"
                )
                return written

            first = sync("first sync")
            first_bytes = _table_bytes(db)
            print(
                f"  first sync's records: {first} rows, {first_bytes / 1e6:.1f} MB "
                f"({first_bytes / max(first, 1):.0f} bytes a row with indexes)"
            )
            assert sync("resync, nothing changed") == 0
            keys = [item["publicLicenseKey"] for item in control.licenses(MAIN_ACCOUNT.username)]
            rng = random.Random(11)
            changing = max(1, round(len(keys) * args.share))
            daily = []
            for day in range(1, args.days + 1):
                _age_one_day(db)
                chosen = rng.sample(keys, changing)
                for index, key in enumerate(chosen):
                    fields = {"usage": rng.randint(0, 500)}
                    if index % 10 == 0:
                        fields["quantity"] = rng.randint(501, 900)
                    control.set_license(key, **fields)
                daily.append(sync(f"day {day}: {changing} licenses changed"))
            for key in chosen:
                control.set_license(key, usage=rng.randint(0, 500))
            again = sync("same day, same licenses' usage again")
            day_bytes = _table_bytes(db) - first_bytes
            day_rows = sum(daily) + again
            per_row = day_bytes / max(day_rows, 1)
            per_day = sum(daily) / len(daily)
            print(
                f"  daily syncs: {per_day:.0f} change rows a day; a second usage change the "
                f"same day: {again} more rows"
            )
            print(f"  storage: {per_row:.0f} bytes a row (data and indexes)")
            print(
                f"  per year: {per_day * 365:,.0f} rows, {per_day * 365 * per_row / 1e6:.1f} MB; "
                f"with the 400-day retention the table holds at most {per_day * 400:,.0f} rows "
                f"({per_day * 400 * per_row / 1e6:.1f} MB) plus the renames"
            )
    finally:
        server.stop()
        if redis_server is not None:
            redis_server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


def _age_one_day(db) -> None:
    """Move the usage records back one day (as if the day's syncs had run yesterday)."""
    from datetime import timedelta

    from sqlalchemy import bindparam, select, update

    from mspweb.models import ChangeRecord

    rows = db.session.execute(
        select(ChangeRecord.id, ChangeRecord.day, ChangeRecord.created_at).where(
            ChangeRecord.day.is_not(None)
        )
    ).all()
    params = [
        {"b_id": record_id, "b_day": day - timedelta(days=1), "b_at": created - timedelta(days=1)}
        for record_id, day, created in rows
    ]

    table = ChangeRecord.__table__
    for start in range(0, len(params), 5000):
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(day=bindparam("b_day"), created_at=bindparam("b_at")),
            params[start : start + 5000],
        )
    db.session.commit()


if __name__ == "__main__":
    main()
