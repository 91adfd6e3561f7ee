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
import platform
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
FERNET_KEY = "Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E="
SECRET_KEY = "bench-load-secret-key-not-for-production"
QUEUE = "mspweb-bench-load"
USER_PASSWORD = "bench-user-password-1"
TARGET_RATIO = 2.0
HX = {"HX-Request": "true"}

#: Scenario name -> weight: how often a user picks it.
SCENARIOS = {
    "licenses: first page": 3,
    "licenses: by tag": 2,
    "licenses: by tree node": 2,
    "licenses: by status": 2,
    "licenses: search": 2,
    "licenses: sort": 2,
    "licenses: paging": 2,
    "customers": 1,
    "computers": 1,
    "tag edit": 2,
}


# -- processes ----------------------------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, what: str, timeout: float) -> None:
    """Poll `check()` until it is true; exit with a message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not happen within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate a child process (SIGTERM, then SIGKILL after 30 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_sandbox(companies: int, licenses: int) -> tuple[subprocess.Popen, str]:
    """The sandbox portal in its own process; returns it and its URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mspweb.sandbox",
            "--port",
            str(port),
            "--companies",
            str(companies),
            "--licenses",
            str(licenses),
            "--enable-admin",
            "--quiet",
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(f"{url}/_sandbox/", timeout=5).ok, "the sandbox", 300)
    return process, url


def console_env(database_url: str, redis_url: str, rate_limit: float) -> dict[str, str]:
    """The environment of the console's processes (web, worker) for this benchmark."""
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        RQ_QUEUE=QUEUE,
        SECRET_KEY=SECRET_KEY,
        MSPWEB_FERNET_KEYS=FERNET_KEY,
        PYTHONPATH=str(ROOT),
        PORTAL_MAX_CALLS_PER_SECOND=str(rate_limit),
        LOG_LEVEL="WARNING",
        LOGIN_RATE_LIMIT="1000 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="1000 per minute",
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback
    )


def start_gunicorn(env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    """gunicorn serving the console with `workers` sync workers; returns once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(f"{base}/healthz", timeout=5).ok, "gunicorn", 120)
    return process, base


# -- the dataset --------------------------------------------------------------------------------
def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database of `database_url` if it does not exist."""
    if not database_url.startswith("postgres"):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(
        admin.render_as_string(hide_password=False), autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{url.database}"')
            print(f"created database {url.database}")


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


@dataclass(frozen=True)
class Lookups:
    """Real values for the users' filters, picked from the database."""

    tags: list[str]
    nodes: list[int]
    licenses: list[int]
    terms: list[str]
    pages: int


def lookups(app, account_id: int) -> Lookups:
    """Sample tags, tree nodes, license ids and search terms of the account."""
    from sqlalchemy import select

    from mspweb.extensions import db
    from mspweb.models import Company, License, Tag

    rng = random.Random(7)
    with app.app_context():
        tags = list(db.session.scalars(select(Tag.name).order_by(Tag.id).limit(400)))
        nodes = list(
            db.session.scalars(
                select(Company.id).where(
                    Company.account_id == account_id, Company.in_license_tree.is_(True)
                )
            )
        )
        license_ids = list(
            db.session.scalars(select(License.id).where(License.account_id == account_id))
        )
        products = list(db.session.scalars(select(License.product_name).distinct()))
        count = len(license_ids)
    words = sorted({word for name in products + tags for word in re.findall(r"\w{4,}", name)})
    return Lookups(
        tags=rng.sample(tags, min(60, len(tags))),
        nodes=rng.sample(nodes, min(60, len(nodes))),
        licenses=rng.sample(license_ids, min(2000, len(license_ids))),
        terms=rng.sample(words, min(40, len(words))) + ["ESET", "Endpoint"],
        pages=max(1, count // 50),
    )


# -- the people -----------------------------------------------------------------------------------
def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    """A session signed in through the login form, and its CSRF token from a page's meta."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=60).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = session.post(
        f"{base}/login",
        timeout=60,
        allow_redirects=False,
        data={"email": email, "password": USER_PASSWORD, "csrf_token": token},
    )
    if answer.status_code != 302:
        raise SystemExit(f"sign-in of {email} failed: {answer.status_code}")
    page = session.get(f"{base}/licenses", timeout=120).text
    return session, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


@dataclass
class Record:
    """One request: its scenario, latency, and whether it went right."""

    scenario: str
    ms: float
    ok: bool
    status: int | str


@dataclass
class User:
    """One person: a signed-in session, its own random choices, its tag edits in flight."""

    number: int
    base: str
    session: requests.Session
    csrf: str
    rng: random.Random
    pending_tags: list[tuple[int, str]] = field(default_factory=list)
    edits: int = 0

    def request(self, look: Lookups) -> Record:
        """Pick a scenario, send its request, and time it."""
        scenario = self.rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
        method, path, data, headers, marker = self._build(scenario, look)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                f"{self.base}{path}",
                data=data,
                headers=headers,
                timeout=120,
                allow_redirects=False,
            )
            ok = response.status_code == 200 and marker in response.text
            status: int | str = response.status_code
        except requests.RequestException as error:
            ok, status = False, type(error).__name__
        return Record(scenario, (time.perf_counter() - started) * 1000, ok, status)

    def _build(self, scenario: str, look: Lookups):
        rng = self.rng
        table = 'id="license-table"'
        if scenario == "licenses: first page":
            return "GET", "/licenses", None, {}, table
        if scenario == "customers":
            return "GET", "/customers", None, {}, "<table"
        if scenario == "computers":
            return "GET", "/computers", None, {}, 'id="computers-tree"'
        if scenario == "tag edit":
            return self._tag_edit(look)
        query = {
            "licenses: by tag": lambda: {"tag": rng.choice(look.tags)},
            "licenses: by tree node": lambda: {"company": rng.choice(look.nodes)},
            "licenses: by status": lambda: {
                "status": rng.choice(
                    ["expired", "expiring", "overused", "trial", "suspended", "normal"]
                )
            },
            "licenses: search": lambda: {"q": rng.choice(look.terms)},
            "licenses: sort": lambda: {
                "sort": rng.choice(
                    ["product", "user", "units", "expiration", "status", "tags", "pool"]
                ),
                "dir": rng.choice(["asc", "desc"]),
            },
            "licenses: paging": lambda: {"page": rng.randint(2, look.pages)},
        }[scenario]()
        path = "/licenses?" + "&".join(
            f"{key}={requests.utils.quote(str(value))}" for key, value in query.items()
        )
        return "GET", path, None, HX, table

    def _tag_edit(self, look: Lookups):
        headers = {**HX, "X-CSRFToken": self.csrf}
        if self.pending_tags and self.rng.random() < 0.5:
            license_id, name = self.pending_tags.pop(0)
            return (
                "POST",
                "/licenses/tags",
                {"license": str(license_id), "name": name, "action": "remove"},
                headers,
                "Removed tag",
            )
        license_id = self.rng.choice(look.licenses)
        self.edits += 1
        name = f"bench-{self.number}-{self.edits % 7}"
        self.pending_tags.append((license_id, name))
        return "POST", f"/licenses/{license_id}/tags", {"name": name}, headers, name


def run_phase(users: list[User], look: Lookups, seconds: float) -> tuple[list[Record], float]:
    """Every user sends requests back to back for `seconds`; their records, and the start."""
    records: list[Record] = []
    lock = threading.Lock()
    started = time.time()
    stop_at = time.monotonic() + seconds

    def person(user: User) -> None:
        mine = []
        while time.monotonic() < stop_at:
            mine.append(user.request(look))
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=person, args=(user,), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 300)
    return records, started


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
def _process_cpu(pid: int) -> float:
    """CPU seconds of a process and its reaped children (utime, stime, cutime, cstime)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _named(command: str) -> list[int]:
    """The processes whose command name is `command` (e.g. every PostgreSQL backend)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == command:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _machine_cpu() -> float:
    """CPU seconds the whole machine spent busy so far (every process, others' included)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far: this benchmark process ("bench client"), each named process group
    (a process and its children), PostgreSQL (every backend, exited ones via the postmaster)
    and the whole machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    snapshot = {"bench client": usage.ru_utime + usage.ru_stime}
    for name, pid in groups.items():
        snapshot[name] = _process_cpu(pid) + sum(_process_cpu(child) for child in _children(pid))
    snapshot["postgres"] = sum(_process_cpu(pid) for pid in _named("postgres"))
    snapshot["whole machine"] = _machine_cpu()
    return snapshot


def cpu_used(before: dict[str, float], after: dict[str, float]) -> str:
    """The CPU seconds each group used between two snapshots, in words."""
    return ", ".join(f"{name} {after[name] - before.get(name, 0.0):.0f} s" for name in after)


# -- figures --------------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, -(-int(share * 100) * len(ordered) // 100) - 1)]


def summary(records: list[Record]) -> dict[str, tuple[int, int, float, float]]:
    """Per scenario and "overall": (requests, errors, p50 ms, p95 ms)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[record.scenario].append(record)
    groups["overall"] = records
    return {
        name: (
            len(group),
            sum(not r.ok for r in group),
            percentile([r.ms for r in group], 0.50),
            percentile([r.ms for r in group], 0.95),
        )
        for name, group in groups.items()
    }


def machine() -> str:
    """nproc, CPU model, RAM, OS and Python."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
    return (
        f"{os.cpu_count()} CPUs ({model}), {kb / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


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
