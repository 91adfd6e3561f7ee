"""Six people signing in at the same moment on the embedded default (issue 15, finding 9):
SQLite behind gunicorn with two workers. Every sign-in succeeds: a write that meets the lock
waits for it (busy timeout, WAL, short transactions) instead of failing "database is locked"."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
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


def test_finding9_six_simultaneous_sign_ins_on_sqlite_all_succeed(tmp_path: Path, redis_url):
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'signins.db'}",
        REDIS_URL=redis_url,
        SECRET_KEY="six-at-once-secret",
        SESSION_COOKIE_SECURE="0",
        MSPWEB_INSTANCE_PATH=str(tmp_path),
        MSPWEB_FERNET_KEYS="Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E=",
        LOGIN_RATE_LIMIT="1000 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="1000 per minute",
        PYTHONPATH=str(ROOT),
    )
    setup = SETUP.format(people=PEOPLE, password=PASSWORD)
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=ROOT, check=True, timeout=120)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        + ["wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_up(base, web)
        statuses: list[int] = []
        for _round in range(3):
            browsers = [_prepared(base) for _ in range(PEOPLE)]
            start = threading.Barrier(PEOPLE)

            def sign_in(number: int, browsers=browsers, start=start) -> None:
                browser, token = browsers[number]
                start.wait()
                answer = browser.post(
                    f"{base}/login",
                    data={
                        "email": f"person{number}@msp.example",
                        "password": PASSWORD,
                        "csrf_token": token,
                    },
                    allow_redirects=False,
                    timeout=120,
                )
                statuses.append(answer.status_code)

            threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(PEOPLE)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert statuses == [302] * (3 * PEOPLE), statuses
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()
