"""Many people at once, through real processes: two gunicorn web processes (two workers each)
and two RQ worker processes (`python -m mspweb.worker`) on the session's database and Redis.

- 20 simultaneous "Synchronize" clicks for one account make exactly one run (R14);
- two accounts synchronize in parallel without touching each other's data;
- two administrators editing the same license's tags at the same moment both keep their
  changes, or get a clear conflict message; never a silent lost update.

Two schedulers queueing one daily run per account is proven in tests/test_sync_jobs.py
(test_r13_two_scheduler_processes_make_one_run_per_account).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import requests
from rq import Worker
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Account, License, LicenseTag, SyncRun, Tag
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, make_user, start_rq_worker
from tests.plugins.sync import wait_for

pytestmark = pytest.mark.slow

HX = {"HX-Request": "true"}
SECOND_ADMIN = ("second-admin@msp.example", "second-admin-pass-1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Stack:
    """The running processes: web base URLs, and the app of this test (for its Redis)."""

    bases: list[str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def browser(self, email: str, password: str, web: int = 0) -> Browser:
        """A signed-in browser on web process `web`."""
        return Browser(self.bases[web], email, password)


class Browser:
    """A signed-in session: its cookie and the CSRF token scraped from a page's meta tag."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.session = requests.Session()
        login_form = self.session.get(f"{base}/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_form).group(1)
        answer = self.session.post(
            f"{base}/login",
            timeout=30,
            allow_redirects=False,
            data={"email": email, "password": password, "csrf_token": token},
        )
        assert answer.status_code == 302, answer.text
        page = self.session.get(f"{base}/accounts", timeout=30).text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def twin(self, base: str | None = None) -> Browser:
        """Another connection (optionally to another web process) with the same sign-in."""
        twin = object.__new__(Browser)
        twin.base = base or self.base
        twin.session = requests.Session()
        twin.session.cookies.update(self.session.cookies)
        twin.csrf = self.csrf
        return twin

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        """An htmx POST, as the page's buttons send it (X-CSRFToken header)."""
        return self.session.post(
            f"{self.base}{path}",
            data=data or {},
            timeout=120,
            headers={**HX, "X-CSRFToken": self.csrf},
        )


@pytest.fixture()
def stack(fast_portal, sync_env) -> Iterator[Stack]:
    """Two gunicorn processes with two workers each, and two RQ worker processes."""
    env = dict(
        sync_env, LOGIN_RATE_LIMIT="1000 per minute", LOGIN_ADDRESS_RATE_LIMIT="1000 per minute"
    )
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
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
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    processes += [
        start_rq_worker(env, "--name", f"concurrency-{number}-{time.time_ns()}")
        for number in (1, 2)
    ]
    for process in processes[2:]:
        process.stdout.close()  # not read: never let a full pipe block the worker
    running = Stack([f"http://127.0.0.1:{port}" for port in ports], processes)
    try:
        for base in running.bases:
            wait_for(lambda base=base: _answers(f"{base}/healthz"), timeout=90, step=0.25)
        queue = fast_portal.sync_queue
        wait_for(lambda: len(Worker.all(queue=queue)) >= 2, timeout=90, step=0.25)
        yield running
    finally:
        for process in processes:
            _stop(process)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _all_at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run `calls` in threads released together; their responses, in order."""
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            responses[index] = calls[index]()
        except Exception as error:  # reported by the caller's assertions
            responses[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return responses


def _runs(account_id: int) -> list[SyncRun]:
    db.session.commit()  # see what the other processes committed
    return db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == account_id).order_by(SyncRun.id)
    ).all()


def _finished(account_id: int) -> list[SyncRun] | None:
    runs = _runs(account_id)
    return runs if runs and all(run.status in ("succeeded", "failed") for run in runs) else None


def test_r14_twenty_simultaneous_synchronize_clicks_on_two_web_processes_make_one_run(
    stack, import_demo, admin, fast_portal, sandbox
):
    account_id = import_demo(sync=False).id
    # The run must still be active while the twenty clicks are answered: on SQLite the clicks'
    # writes queue behind each other, and a 60-license sync can finish before the last one, which
    # then rightly starts a second run. A slow first licenses page keeps the run open for 8 s.
    sandbox.control.add_fault(kind="slow", delay=8, path="Search/Licenses", count=1)
    admin_browser = stack.browser(ADMIN_EMAIL, ADMIN_PASSWORD)
    clicks = [admin_browser.twin(stack.bases[number % 2]) for number in range(20)]
    responses = _all_at_once(
        [lambda b=browser: b.post(f"/accounts/{account_id}/sync") for browser in clicks]
    )
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 20
    answered_at = datetime.now(UTC)
    run_ids = {re.search(r'data-run="(\d+)"', r.text).group(1) for r in responses}
    assert len(run_ids) == 1
    runs = wait_for(lambda: _finished(account_id), timeout=120, step=0.25)
    assert runs[0].finished_at > answered_at, "the run ended before the clicks were answered"
    assert [(run.status, run.licenses_added) for run in runs] == [("succeeded", 60)]
    assert str(runs[0].id) in run_ids
    assert fast_portal.sync_queue.count == 0


def test_two_accounts_synchronize_in_parallel_on_two_workers_without_interfering(
    stack, import_demo, admin, sandbox
):
    northwind_id, fabrikam_id = import_demo("northwind").id, import_demo("fabrikam").id
    for name in ("northwind", "fabrikam"):
        sandbox.control.add_license(sandbox.control.root(name)["id"])
    # Each account's first page of licenses takes a while: both syncs are running at once.
    sandbox.control.add_fault(kind="slow", delay=6, path="Search/Licenses", count=2)
    browser = stack.browser(ADMIN_EMAIL, ADMIN_PASSWORD)
    responses = _all_at_once(
        [
            lambda: browser.twin(stack.bases[0]).post(f"/accounts/{northwind_id}/sync"),
            lambda: browser.twin(stack.bases[1]).post(f"/accounts/{fabrikam_id}/sync"),
        ]
    )
    assert [getattr(r, "status_code", r) for r in responses] == [200, 200]

    def both_running() -> bool:
        latest = [_runs(account_id)[-1].status for account_id in (northwind_id, fabrikam_id)]
        return latest == ["running", "running"]

    wait_for(both_running, timeout=60, step=0.05)
    for account_id in (northwind_id, fabrikam_id):
        runs = wait_for(lambda account_id=account_id: _finished(account_id), timeout=120, step=0.25)
        assert [(run.status, run.licenses_added) for run in runs[1:]] == [("succeeded", 1)]
    for account_id, name in ((northwind_id, "northwind"), (fabrikam_id, "fabrikam")):
        portal = {item["publicLicenseKey"] for item in sandbox.control.licenses(name)}
        local = set(
            db.session.scalars(select(License.public_key).where(License.account_id == account_id))
        )
        assert local == portal, name
    assert db.session.scalar(select(func.count(Account.id))) == 2


def test_tag_edits_by_two_administrators_at_once_keep_both_or_say_so(stack, import_demo, admin):
    """Two administrators, each on a different web process, edit the same license at the
    same moment from the same page (same version): every tag either is kept or its editor was
    told of a conflict; each editor after the first is told the tags changed meanwhile."""
    import_demo()
    make_user(*SECOND_ADMIN)
    license_ = db.session.scalars(select(License).order_by(License.id)).first()
    license_id, seen = license_.id, license_.version
    first = stack.browser(ADMIN_EMAIL, ADMIN_PASSWORD, web=0)
    second = stack.browser(*SECOND_ADMIN, web=1)
    edits = [
        (browser, f"{prefix}-{number}")
        for number in range(6)
        for browser, prefix in ((first, "first"), (second, "second"))
    ]
    responses = _all_at_once(
        [
            lambda browser=browser, name=name: browser.twin().post(
                f"/licenses/{license_id}/tags", {"name": name, "version": seen}
            )
            for browser, name in edits
        ]
    )
    db.session.commit()
    kept = set(
        db.session.scalars(
            select(Tag.name).join(LicenseTag).where(LicenseTag.license_id == license_id)
        )
    )
    stale_notices = 0
    for (_, name), response in zip(edits, responses, strict=True):
        assert not isinstance(response, Exception), response
        if response.status_code == 200:
            assert name in kept, f"{name} was accepted but lost"
            stale_notices += "changed these tags meanwhile" in response.text
        else:
            assert response.status_code == 409, response.text
            assert "at the same moment" in response.text and name not in kept
    assert stale_notices >= sum(r.status_code == 200 for r in responses) - 1
    assert sum(r.status_code == 200 for r in responses) >= 6
    db.session.expire_all()
    assert db.session.get(License, license_id).version >= seen + 6
