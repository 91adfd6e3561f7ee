"""A running sync's heartbeat: a Redis key with a TTL, refreshed by a thread while it runs.

When the process running a sync dies (SIGKILL, OOM, a lost machine), the key expires within
``SYNC_STALE_AFTER`` seconds, and :func:`mspweb.sync.recovery.refresh_stale_runs` marks the run
failed so that the account can be synchronized again.
"""

from __future__ import annotations

import contextlib
import threading

from redis import Redis
from redis.exceptions import RedisError

KEY_PREFIX = "mspweb:sync:heartbeat:"


def heartbeat_key(run_id: int) -> str:
    """The Redis key that is alive while run `run_id` runs."""
    return f"{KEY_PREFIX}{run_id}"


def is_alive(redis: Redis, run_id: int) -> bool:
    """True while the process running `run_id` keeps its heartbeat."""
    return bool(redis.exists(heartbeat_key(run_id)))


class Heartbeat:
    """Keeps `heartbeat_key(run_id)` alive for `ttl` seconds at a time, from a daemon thread.

    >>> with Heartbeat(redis, run_id, ttl=120):
    ...     run_the_sync()
    """

    def __init__(self, redis: Redis, run_id: int, ttl: int) -> None:
        self.redis = redis
        self.key = heartbeat_key(run_id)
        self.ttl = max(2, int(ttl))
        self.interval = max(0.5, self.ttl / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def start(self) -> Heartbeat:
        """Set the key now, then keep refreshing it."""
        self.redis.set(self.key, "1", ex=self.ttl)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.redis.set(self.key, "1", ex=self.ttl)
            except RedisError:  # a Redis hiccup: try again next beat
                continue

    def stop(self) -> None:
        """Stop beating and drop the key."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with contextlib.suppress(RedisError):
            self.redis.delete(self.key)

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
