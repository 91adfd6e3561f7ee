"""The Redis connection and the RQ queue, on the app (one per process).

With `REDIS_URL` set, that server. With it unset the console uses the embedded Redis server
that `make run` (`mspweb.devserver`) starts: devserver writes its URL to `instance/redis.url`
and every other process attaches to it through that file. No process but devserver starts a
server, and building the app connects to nothing: the first Redis command does.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from redis import ConnectionPool, Redis
from redis.connection import UnixDomainSocketConnection
from rq import Queue

URL_FILE = "redis.url"
"""The file in the instance folder where devserver publishes the embedded Redis's URL."""

NOT_RUNNING = (
    "No Redis server: REDIS_URL is not set and the embedded Redis of `make run` is not "
    "running ({path} names no live server). Start `make run`, or set REDIS_URL."
)


class ConsoleApp(Flask):
    """The console's Flask app: a `Flask` with the Redis client and RQ queue of `init_app`."""

    redis: Redis
    sync_queue: Queue


def current_console() -> ConsoleApp:
    """The current app, as the `ConsoleApp` that `create_app` built."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's
    if not isinstance(app, ConsoleApp):
        raise RuntimeError("the current app was not built by mspweb.create_app")
    return app


def url_file(app: Flask) -> Path:
    """Where devserver writes the embedded Redis's URL for this app's instance folder."""
    return Path(app.config["EMBEDDED_REDIS_PATH"]).with_name(URL_FILE)


def published_url(path: Path) -> str | None:
    """The URL devserver published in `path`, or None when no embedded Redis runs."""
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


class EmbeddedRedisConnection(UnixDomainSocketConnection):
    """A connection to the embedded Redis whose failure says how to get one running."""

    url_file = ""

    def _error_message(self, exception: BaseException) -> str:
        return NOT_RUNNING.format(path=self.url_file)


def embedded_client(path: Path) -> Redis:
    """A client of the embedded Redis published in `path` (lazy: it connects on first use)."""
    url = published_url(path) or ""
    socket_path = url.removeprefix("unix://").split("?")[0]
    connection_class = type(
        "PublishedEmbeddedRedisConnection", (EmbeddedRedisConnection,), {"url_file": str(path)}
    )
    pool = ConnectionPool(connection_class=connection_class, path=socket_path)
    return Redis(connection_pool=pool)


def init_app(app: ConsoleApp) -> None:
    """Give the app its Redis client and RQ queue (`app.redis`, `app.sync_queue`).

    Nothing connects here. Without `REDIS_URL` the app attaches to the embedded server that
    devserver published, and `REDIS_URL` is set to it for the parts that need a URL.
    """
    url = app.config.get("REDIS_URL")
    if url:
        app.redis = Redis.from_url(url)
    else:
        path = url_file(app)
        app.config["REDIS_URL"] = published_url(path)
        app.redis = embedded_client(path)
    app.sync_queue = Queue(app.config["RQ_QUEUE"], connection=app.redis)


def get_redis() -> Redis:
    """The current app's Redis connection."""
    return current_console().redis
