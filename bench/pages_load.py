"""A bounded load test of /licenses under gunicorn: 4 workers, N connections, T seconds.

Started by `bench/pages.py --load`: serves the benchmark database with gunicorn on a free
loopback port, signs in through the login form (CSRF token included), then N threads, each
with its own keep-alive connection and the signed-in session cookie, request a rotation of
/licenses views until the time is up. Prints requests per second, latency and errors.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent

#: The views each connection cycles through.
URLS = (
    "/licenses",
    "/licenses?tag=vip",
    "/licenses?q=alpine",
    "/licenses?sort=user",
    "/licenses?page=500",
    "/licenses?sort=status&dir=desc",
)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(app, port: int) -> subprocess.Popen:
    """gunicorn with 4 workers serving the benchmark database; returns once it answers."""
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        SECRET_KEY=app.config["SECRET_KEY"],
        RATELIMIT_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.3)
    server.terminate()
    server.wait(timeout=30)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def sign_in(base: str, email: str, password: str) -> dict[str, str]:
    """Sign in through the form; returns the session cookies."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    data = {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
    answer = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return session.cookies.get_dict()


def hammer(base: str, cookies: dict, stop_at: float, offset: int, results: list, lock) -> None:
    """One connection: request the URLs in turn until `stop_at`; record (ms, ok)."""
    session = requests.Session()
    session.cookies.update(cookies)
    mine, number = [], offset
    while time.monotonic() < stop_at:
        url = URLS[number % len(URLS)]
        number += 1
        started = time.perf_counter()
        try:
            response = session.get(base + url, timeout=30, allow_redirects=False)
            ok = response.status_code == 200 and "license-table" in response.text
        except requests.RequestException:
            ok = False
        mine.append(((time.perf_counter() - started) * 1000, ok))
    with lock:
        results.extend(mine)


def run_load(app, email: str, password: str, seconds: int, connections: int) -> None:
    """Serve with gunicorn, run the load, print the figures, stop gunicorn."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(app, port)
    try:
        cookies = sign_in(base, email, password)
        for url in URLS:  # one warm-up round per worker
            for _ in range(4):
                requests.get(base + url, cookies=cookies, timeout=60)
        results: list[tuple[float, bool]] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=hammer, args=(base, cookies, stop_at, i, results, lock))
            for i in range(connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(ms for ms, _ in results)
    errors = sum(1 for _, ok in results if not ok)
    p95 = latencies[max(0, -(-95 * len(latencies) // 100) - 1)] if latencies else 0.0
    print(
        f"\nLoad: gunicorn 4 workers, {connections} connections, {seconds} s, "
        f"{len(URLS)} /licenses views in rotation"
    )
    median = statistics.median(latencies) if latencies else 0.0
    print(
        f"requests {len(results):,}  errors {errors}  "
        f"throughput {len(results) / seconds:.1f} req/s  "
        f"latency median {median:.1f} ms  p95 {p95:.1f} ms"
    )
