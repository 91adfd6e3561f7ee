"""Benchmark the sync at scale: `python bench/sync_scale.py [--companies 2000] [--licenses 50000]`.

Serves the sandbox in this process (main demo account sized by the options, client rate limit
off) and runs, each in a child process so that its memory and CPU are its own:

- the floor: the portal client alone paging through everything a sync reads;
- the first sync of the mixed demo account, then a resync with nothing changed.

Each round (default 3) runs the floor, a first sync on an empty database and a resync, so
that each sync is compared with a floor measured moments before it; the medians are
reported, with each phase's split (fetched / applied) from the sync's log. Prints times, CPU
seconds of the measuring process, data rows and change records written, portal calls
against the bound ceil(L/100) + ceil(C/100) + (companies that can have children) + 10, and
each sync's peak memory (ru_maxrss growth of its process), and the CPU budget: the
CPU-seconds the sync, the sandbox and the rest of the machine (the database server) spent
while each ran, and the shortest wall time that much work allows on this machine's CPUs
(meaningful on an otherwise quiet machine). Uses SQLite in a temporary folder, or the
database of DATABASE_URL (which must be empty, or pass --reset to drop and recreate its
tables).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu_budget import CpuBudget, print_budget  # noqa: E402  (after the path)

FERNET_KEY = "Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E="
TARGET_FIRST, TARGET_RESYNC, TARGET_MEMORY_MB = 1.5, 1.2, 200


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app():
    from config import TestConfig
    from mspweb import create_app

    return create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"],
        REDIS_URL=os.environ["BENCH_REDIS_URL"],
        FERNET_KEYS=FERNET_KEY,
        PORTAL_MAX_CALLS_PER_SECOND=0,
        TESTING=False,
        LOG_LEVEL="WARNING",
        SYNC_STREAM_WRITES=os.environ.get("BENCH_STREAM_WRITES") or None,
    )


# -- child processes ---------------------------------------------------------------------------
def child_floor(sandbox_url: str) -> dict:
    """Page through everything with the client alone."""
    from mspweb.models.companies import PARENT_TYPES
    from mspweb.portal import BusinessPortalClient, ClientSettings, MspPortalClient
    from mspweb.sandbox.world import MAIN_ACCOUNT

    settings = ClientSettings(max_calls_per_second=0)
    cpu = _cpu_seconds()
    started = time.perf_counter()
    companies = licenses = parents = 0
    user, password = MAIN_ACCOUNT.username, MAIN_ACCOUNT.password
    with MspPortalClient(f"{sandbox_url}/msp", user, password, settings) as client:
        root = client.current_user().company_id
        client.company_detail(root)
        waiting, companies = [root], 1
        while waiting:
            parents += 1
            for child in client.company_children(waiting.pop()):
                companies += 1
                if child.type in PARENT_TYPES:
                    waiting.append(child.public_id)
        for _ in client.licenses(None):
            licenses += 1
        calls = client.stats.calls
    with BusinessPortalClient(f"{sandbox_url}/business", user, password, settings) as client:
        client.current_user()
        licenses += sum(1 for _ in client.licenses())
        sum(1 for _ in client.sites())
        companies += 1
        calls += client.stats.calls
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu_seconds() - cpu,
        "companies": companies,
        "licenses": licenses,
        "parents": parents,
        "calls": calls,
    }


def child_sync(account_id: int) -> dict:
    """Run one sync of the account in this process."""
    app = _app()
    import logging

    logging.getLogger("mspweb.sync.runner").setLevel(logging.INFO)
    with app.app_context():
        from mspweb.extensions import db
        from mspweb.models import Account
        from mspweb.sync.runner import run_inline

        account = db.session.get(Account, account_id)
        baseline = _maxrss_mb()
        profile_to = os.environ.get("BENCH_PROFILE")
        if profile_to:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu = _cpu_seconds()
        started = time.perf_counter()
        outcome = run_inline(account)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu
        if profile_to:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{account_id}.{int(started)}")
        peak = _maxrss_mb() - baseline
        from sqlalchemy import func, select

        from mspweb.models import ChangeRecord

        changes = db.session.scalar(
            select(func.count(ChangeRecord.id)).where(
                ChangeRecord.sync_run_id == outcome.get("run_id")
            )
        )
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "changes": changes, **outcome}


def _child(mode: str, argument: str, env: dict) -> dict:
    """Run one measured child; adds its CPU budget: the sandbox's CPU (this process, whose
    threads serve it), the child process's whole CPU, and the rest of the machine's (the
    database server, on PostgreSQL; anything else running)."""
    with CpuBudget() as budget:
        outcome = _run_child(mode, argument, env)
    outcome.update(sandbox_cpu=budget.own, other_cpu=budget.other)
    return outcome


def _run_child(mode: str, argument: str, env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, argument],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{result.stdout}\n{result.stderr}")
    for line in result.stderr.splitlines():
        if "fetched in" in line:
            print("  " + line.split("] ", 1)[-1][:150])
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the benchmark ---------------------------------------------------------------------------
def prepare_database(app, reset: bool) -> None:
    """Create the schema; refuse a database that already holds accounts unless `reset`."""
    from sqlalchemy import inspect, select

    from mspweb.extensions import db
    from mspweb.models import Account

    with app.app_context():
        occupied = (
            inspect(db.engine).has_table("account")
            and db.session.scalar(select(Account.id).limit(1)) is not None
        )
        db.session.remove()  # end the read before tables are dropped
        if occupied and not reset:
            raise SystemExit(
                "The database already holds accounts: use an empty database "
                "or pass --reset (drops every table of the console)."
            )
        if reset:
            db.drop_all()
        db.create_all()


def main() -> None:
    """Run the rounds and print the figures; exits 1 when a target is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of floor, first sync, resync (medians are reported)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="drop and recreate the tables of DATABASE_URL first"
    )
    parser.add_argument(
        "--stream-writes",
        choices=("default", "on", "off"),
        default="default",
        help="write new licenses while reading (on), after the last page (off), or as "
        "SYNC_STREAM_WRITES defaults (on for PostgreSQL, off for SQLite)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, argument = args.child
        result = child_floor(argument) if mode == "floor" else child_sync(int(argument))
        print(json.dumps(result, default=str))
        return

    from config import database_url
    from mspweb.sandbox import SandboxConfig
    from mspweb.sandbox import create_app as sandbox_app
    from mspweb.sandbox.server import run_in_thread
    from mspweb.sandbox.world import MAIN_ACCOUNT

    workdir = tempfile.mkdtemp(prefix="mspweb-bench-")
    started = time.perf_counter()
    server = run_in_thread(
        sandbox_app(SandboxConfig(companies=args.companies, licenses=args.licenses))
    )
    print(
        f"sandbox: {args.companies} companies, {args.licenses} licenses, started in "
        f"{time.perf_counter() - started:.1f} s at {server.url}"
    )
    raw_url = os.environ.get("DATABASE_URL")
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        BENCH_DATABASE_URL=database_url(raw_url or f"sqlite:///{workdir}/bench.db"),
    )
    redis_server = None
    if os.environ.get("REDIS_URL"):
        env["BENCH_REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        from mspweb.embedded_redis import embedded_redis_url, start_embedded_redis

        redis_server = start_embedded_redis(f"{workdir}/redis.db")
        env["BENCH_REDIS_URL"] = embedded_redis_url(redis_server)
    env["BENCH_STREAM_WRITES"] = {"on": "true", "off": "false"}.get(args.stream_writes, "")
    os.environ.update(
        BENCH_DATABASE_URL=env["BENCH_DATABASE_URL"], BENCH_REDIS_URL=env["BENCH_REDIS_URL"]
    )
    database = "PostgreSQL" if raw_url and raw_url.startswith("postgres") else "SQLite"
    writes = {"on": "while reading", "off": "after the last page"}.get(
        args.stream_writes, "as SYNC_STREAM_WRITES defaults"
    )
    print(f"database: {database}; writes {writes}; load average {_load()} on {os.cpu_count()} CPUs")

    try:
        app = _app()
        prepare_database(app, args.reset)
        rounds = []
        for number in range(1, args.rounds + 1):
            with app.app_context():
                from mspweb.accounts.service import import_account
                from mspweb.extensions import db

                if number > 1:  # a fresh database for each first sync
                    db.session.remove()
                    db.drop_all()
                    db.create_all()
                account, _ = import_account(
                    f"{server.url}/msp",
                    f"{server.url}/business",
                    MAIN_ACCOUNT.username,
                    MAIN_ACCOUNT.password,
                    enqueue_sync=False,
                )
                account_id = account.id
                db.session.remove()
            floor = _child("floor", server.url, env)
            first = _child("sync", str(account_id), env)
            resync = _child("sync", str(account_id), env)
            for outcome in (first, resync):
                if outcome.get("status") != "succeeded":
                    raise SystemExit(f"the sync did not succeed: {outcome}")
            rounds.append((floor, first, resync))
            base = floor["seconds"]
            print(
                f"round {number}: floor {base:.2f} s, first sync {first['seconds']:.2f} s "
                f"({first['seconds'] / base:.2f} x), resync {resync['seconds']:.2f} s "
                f"({resync['seconds'] / base:.2f} x)"
            )
        rounds.sort(key=lambda trio: trio[2]["seconds"] / trio[0]["seconds"])
        floor, _, resync = rounds[len(rounds) // 2]
        rounds.sort(key=lambda trio: trio[1]["seconds"] / trio[0]["seconds"])
        first_floor, first, _ = rounds[len(rounds) // 2]
    finally:
        server.stop()
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    companies, licenses = floor["companies"], floor["licenses"]
    bound = math.ceil(licenses / 100) + math.ceil(companies / 100) + floor["parents"] + 10
    rows = [
        ("floor (client alone)", floor, floor, None, floor["calls"], None),
        (
            "first sync",
            first,
            first_floor,
            first["rows_written"],
            first["portal_calls"],
            first["peak_mb"],
        ),
        (
            "resync, no changes",
            resync,
            floor,
            resync["rows_written"],
            resync["portal_calls"],
            resync["peak_mb"],
        ),
    ]
    print(f"\nmedian of {len(rounds)} rounds (each sync against the floor of its round):")
    print(
        f"{'':24}{'seconds':>9}{'x floor':>9}{'cpu s':>8}{'rows':>10}{'changes':>9}"
        f"{'calls':>8}{'peak MB':>9}"
    )
    for name, result, its_floor, written, calls, peak in rows:
        changes = result.get("changes")
        print(
            f"{name:24}{result['seconds']:9.2f}{result['seconds'] / its_floor['seconds']:9.2f}"
            f"{result['cpu']:8.2f}{'' if written is None else written:>10}"
            f"{'' if changes is None else changes:>9}{calls:>8}"
            f"{'' if peak is None else f'{peak:.0f}':>9}"
        )
    print_budget([(name, result, its_floor) for name, result, its_floor, *_ in rows])
    print(f"(1.5 x that floor: {TARGET_FIRST * first_floor['seconds']:.2f} s)")
    print(
        f"\n{companies} companies ({floor['parents']} can have children), {licenses} "
        f"licenses; portal call bound {bound}"
    )
    syncs = [sync for _, *pair in rounds for sync in pair]
    checks = [
        ("first sync <= 1.5 x floor", first["seconds"] <= TARGET_FIRST * first_floor["seconds"]),
        ("resync <= 1.2 x floor", resync["seconds"] <= TARGET_RESYNC * floor["seconds"]),
        ("resyncs write zero rows", all(r["rows_written"] == 0 for _, _, r in rounds)),
        ("resyncs record zero changes", all(r["changes"] == 0 for _, _, r in rounds)),
        ("portal calls within the bound", max(sync["portal_calls"] for sync in syncs) <= bound),
        ("peak memory < 200 MB", max(sync["peak_mb"] for sync in syncs) < TARGET_MEMORY_MB),
        ("every sync succeeded", all(sync["status"] == "succeeded" for sync in syncs)),
    ]
    print(
        f"load average at the end: {_load()} (a busy machine slows the syncs more than the floor)"
    )
    for name, ok in checks:
        print(f"{'met ' if ok else 'MISSED'}  {name}")
    if not all(ok for _, ok in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
