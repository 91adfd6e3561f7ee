"""How far a sync got, written as it goes and told in words: the one place for both.

:class:`Progress` writes ``(phase, done, total)`` to the RQ job's meta and the SyncRun row,
throttled (at most one write per `interval` seconds, and at every change of phase), each in
its own short transaction, outside the transaction that applies the data.
:func:`run_progress` turns a run into what the status fragment shows; the templates print its
``message`` and ``percent`` and compute no wording of their own.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, TypedDict

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import Connection, Engine, update

from mspweb.models import SyncRun, SyncStatus

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

_PERCENT_RANGES = {
    "starting": (0, 2),
    "companies": (2, 10),
    "licenses": (10, 85),
    "business": (85, 95),
    "usage": (85, 95),  # issue 10: the usage report, after the licenses
    "applying": (95, 99),
    "done": (100, 100),
}


class RunProgress(TypedDict):
    """What the status fragment shows of a run."""

    status: str
    phase: str | None
    done: int
    total: int | None
    percent: int
    message: str


class Progress:
    """Reports `(phase, done, total)` for one run to its job meta and its SyncRun row."""

    def __init__(self, engine: Engine, run_id: int, job: Any = None, interval: float = 1.0) -> None:
        self.engine = engine
        self.run_id = run_id
        self.job = job
        self.interval = interval
        self.phase: str | None = None
        self._last_write = 0.0
        self._through: Connection | None = None

    def write_through(self, connection: Connection | None) -> None:
        """Write the row through `connection` (the open apply transaction, so that SQLite's
        write lock is never waited for by its own holder), or, with None, in a transaction
        of its own again. Rows written through it show once the run commits; the job's meta
        shows the progress meanwhile."""
        self._through = connection

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
        statement = (
            update(SyncRun.__table__)
            .where(SyncRun.__table__.c.id == self.run_id)
            .values(
                phase=phase,
                progress_done=done,
                progress_total=total,
                heartbeat_at=datetime.now(UTC),
            )
        )
        if self._through is not None:
            self._through.execute(statement)
            return
        with self.engine.begin() as connection:
            connection.execute(statement)


_COUNTED = {
    "companies": ("company", "companies"),
    "licenses": ("license", "licenses"),
    "business": ("license", "licenses"),
}
"""What the count of each reading phase counts."""


def describe(phase: str | None, done: int, total: int | None) -> str:
    """The progress in words: "Reading licenses: 3,400 licenses of 50,000".

    Only what the phase has counted is said: no total of another phase, no count that is
    written only when the run ends (those would read 0 while the run is under way).
    """
    words = PHASES.get(phase or "", phase or "Waiting")
    if phase in _COUNTED and done:
        noun = _COUNTED[phase][0 if done == 1 else 1]
        return f"{words}: {done:,} {noun}" + (f" of {total:,}" if total else "")
    return words


def percent(phase: str | None, done: int, total: int | None) -> int:
    """How far along the run is, 0 to 100, from its phase and the share of it done."""
    share = min(1.0, done / total) if total else 0.0
    low, high = _PERCENT_RANGES.get(phase or "", (0, 0))
    return int(low + (high - low) * share)


def finished_message(run: SyncRun) -> str:
    """What a succeeded run changed, in one sentence."""
    return (
        f"Synchronized: {run.licenses_added:,} licenses added, "
        f"{run.licenses_changed:,} changed, {run.licenses_removed:,} removed; "
        f"{run.companies_added:,} companies added, {run.companies_unlinked:,} unlinked."
    )


def _live_meta(run: SyncRun) -> dict[str, Any]:
    """The running job's own progress (fresher than the row's), if Redis still has it."""
    if run.status != SyncStatus.RUNNING or not run.job_id:
        return {}
    try:
        job = Job.fetch(run.job_id, connection=current_app.redis)  # type: ignore[attr-defined]
        return dict(job.get_meta(refresh=True))
    except (NoSuchJobError, RedisError):
        return {}


def run_progress(run: SyncRun) -> RunProgress:
    """How far `run` got, for the polling fragment:
    ``{"status", "phase", "done", "total", "percent", "message"}``."""
    phase, done, total = run.phase, run.progress_done or 0, run.progress_total
    meta = _live_meta(run)
    if meta.get("phase"):
        phase, done, total = meta["phase"], meta.get("done") or 0, meta.get("total")
    if run.status == SyncStatus.SUCCEEDED:
        value, message = 100, finished_message(run)
    elif run.status == SyncStatus.FAILED:
        value, message = 100, f"Failed: {run.error or 'unknown error'}"
    elif run.status == SyncStatus.QUEUED:
        value, message = 0, describe("queued", 0, None)
    else:
        value, message = percent(phase, done, total), describe(phase, done, total)
    return {
        "status": run.status,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": value,
        "message": message,
    }


STATUS_WORDS = {
    "queued": "Waiting for a worker",
    "running": "Running",
    "succeeded": "Finished",
    "failed": "Failed",
}
"""A run's status in words."""

TRIGGER_WORDS = {
    "import": "First sync after import",
    "scheduled": "Daily",
    "manual": "On demand",
    "backfill": "Usage backfill",  # issue 10: the usage history's own run
}
"""Why a run ran, in words."""


def status_words(status: str) -> str:
    """A run's status in words ("Finished")."""
    return STATUS_WORDS.get(status, status)


def trigger_words(trigger: str) -> str:
    """A run's trigger in words ("Daily")."""
    return TRIGGER_WORDS.get(trigger, trigger)
