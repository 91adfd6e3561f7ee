"""Many people writing at the same moment on the embedded default (issue 15, finding 9):
SQLite behind gunicorn. Six sign-ins at once (two workers), then pages that write at once
(four workers): administrators creating users, and API tokens used for the first time by a
GET. Every request succeeds: a write that meets the lock waits for it (busy timeout, WAL, a
request that writes takes the lock up front) instead of failing "database is locked"."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

PEOPLE = 6
PASSWORD = "six-at-once-pass-1"
SETUP = """
from flask_migrate import upgrade
from mspweb import create_app
from mspweb.extensions import db
from mspweb.users.service import create_user
app = create_app()
with app.app_context():
    upgrade()
    for number in range({people}):
        create_user(f"person{{number}}@msp.example", "{password}", "admin", None)
    db.session.commit()
"""
TOKENS = """
from mspweb import create_app
from mspweb.api.tokens import create_token
from mspweb.extensions import db
from mspweb.models import User
from sqlalchemy import select
app = create_app()
with app.app_context():
    for number in range({people}):
        user = db.session.scalar(select(User).where(User.email == f"person{{number}}@msp.example"))
        for round_ in range({rounds}):
            print(create_token(user, f"round {{round_}}").secret)
    db.session.commit()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _prepared(base: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    form = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    return browser, token


def _environment(tmp_path: Path, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'signins.db'}",
        REDIS_URL=redis_url,
        SECRET_KEY="six-at-once-secret",
        SESSION_COOKIE_SECURE="0",
        MSPWEB_INSTANCE_PATH=str(tmp_path),
        MSPWEB_FERNET_KEYS="Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E=",
        LOGIN_RATE_LIMIT="1000 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="1000 per minute",
        API_RATE_LIMIT="1000 per minute",
        PYTHONPATH=str(ROOT),
    )
    setup = SETUP.format(people=PEOPLE, password=PASSWORD)
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=ROOT, check=True, timeout=120)
    return env


@contextmanager
def _gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    """gunicorn serving the console with `workers` processes, its errors in `log`; its URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind"]
        + [f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        _wait_until_up(base, web)
        yield base
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()


def _at_once(calls: list[Callable[[], int]]) -> list[int]:
    """Run `calls` in threads released together; their results, in order."""
    start = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        start.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _post_sign_in(base: str, browser: requests.Session, token: str, number: int) -> int:
    """Person `number`'s sign-in through `browser` (its login form's `token`); the status."""
    return browser.post(
        f"{base}/login",
        data={"email": f"person{number}@msp.example", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=120,
    ).status_code


def _sign_in(base: str, number: int) -> tuple[requests.Session, str]:
    """Person `number` signed in; the session and the CSRF token of its pages."""
    browser, token = _prepared(base)
    status = _post_sign_in(base, browser, token, number)
    assert status == 302, status
    page = browser.get(f"{base}/users", timeout=60).text
    return browser, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_finding9_six_simultaneous_sign_ins_on_sqlite_all_succeed(tmp_path: Path, redis_url):
    env = _environment(tmp_path, redis_url)
    with _gunicorn(env, workers=2, log=tmp_path / "gunicorn.log") as base:
        statuses: list[int] = []
        for _round in range(3):
            browsers = [_prepared(base) for _ in range(PEOPLE)]

            statuses += _at_once(
                [lambda n=n, b=browsers: _post_sign_in(base, *b[n], n) for n in range(PEOPLE)]
            )
        errors = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert statuses == [302] * (3 * PEOPLE), (statuses, errors[-3000:])


def test_finding9_pages_that_write_at_the_same_moment_on_sqlite_all_succeed(
    tmp_path: Path, redis_url
):
    rounds = 4
    env = _environment(tmp_path, redis_url)
    made = subprocess.run(
        [sys.executable, "-c", TOKENS.format(people=PEOPLE, rounds=rounds)],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    secrets = made.stdout.split()
    assert len(secrets) == PEOPLE * rounds
    with _gunicorn(env, workers=4, log=tmp_path / "gunicorn.log") as base:
        people = [_sign_in(base, number) for number in range(PEOPLE)]
        statuses: list[int] = []
        for round_ in range(rounds):

            def create_user(number: int, round_: int = round_) -> int:
                browser, csrf = people[number]
                return browser.post(
                    f"{base}/users",
                    data={
                        "email": f"new{round_}-{number}@msp.example",
                        "password": PASSWORD,
                        "role": "admin",
                        "csrf_token": csrf,
                    },
                    allow_redirects=False,
                    timeout=120,
                ).status_code

            def first_use(number: int, round_: int = round_) -> int:
                secret = secrets[number * rounds + round_]
                return requests.get(
                    f"{base}/api/v1/accounts",
                    headers={"Authorization": f"Bearer {secret}"},
                    timeout=120,
                ).status_code

            calls = [lambda n=n: create_user(n) for n in range(PEOPLE)]
            calls += [lambda n=n: first_use(n) for n in range(PEOPLE)]
            statuses += _at_once(calls)
        errors = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert statuses == ([303] * PEOPLE + [200] * PEOPLE) * rounds, (statuses, errors[-3000:])
