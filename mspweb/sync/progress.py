"""How far a sync got: written to the RQ job's meta and to the SyncRun row as it goes.

Writes are throttled (at most one per `interval` seconds, and at every change of phase), each
in its own short transaction, outside the transaction that applies the data.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Engine, update

from mspweb.models import SyncRun

PHASES = {
    "queued": "Waiting for a worker",
    "starting": "Logging in to the portals",
    "companies": "Reading companies",
    "licenses": "Reading licenses",
    "business": "Reading the business portal",
    "usage": "Reading the usage report",  # issue 10
    "applying": "Saving changes",
    "done": "Finished",
}
"""Each phase in words, for the progress fragment."""


class Progress:
    """Reports `(phase, done, total)` for one run to its job meta and its SyncRun row."""

    def __init__(self, engine: Engine, run_id: int, job=None, interval: float = 1.0) -> None:
        self.engine = engine
        self.run_id = run_id
        self.job = job
        self.interval = interval
        self.phase: str | None = None
        self._last_write = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        """Record progress; written now if the phase changed or `interval` has passed."""
        now = time.monotonic()
        if phase == self.phase and now - self._last_write < self.interval:
            return
        self.phase = phase
        self._last_write = now
        if self.job is not None:
            self.job.meta.update(phase=phase, done=done, total=total)
            self.job.save_meta()
        with self.engine.begin() as connection:
            connection.execute(
                update(SyncRun.__table__)
                .where(SyncRun.__table__.c.id == self.run_id)
                .values(
                    phase=phase,
                    progress_done=done,
                    progress_total=total,
                    heartbeat_at=datetime.now(UTC),
                )
            )


def describe(phase: str | None, done: int, total: int | None) -> str:
    """The progress in words: "Reading licenses: 3,400 of 50,000"."""
    words = PHASES.get(phase or "", phase or "Waiting")
    if phase in ("companies", "licenses", "business") and done:
        return f"{words}: {done:,}" + (f" of {total:,}" if total else "")
    return words
