"""The processes of `bench/load.py`: the sandbox portal, gunicorn, and the database it uses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
FERNET_KEY = "Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E="
SECRET_KEY = "bench-load-secret-key-not-for-production"
QUEUE = "mspweb-bench-load"


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
