"""The sync's entry points by their former address, for code written against it.

The sync package is split by what each part holds; import from the part itself:
:mod:`.lifecycle` (a run's status), :mod:`.queueing` (asking for a sync), :mod:`.runner`
(running one), :mod:`.recovery` (stale runs), :mod:`.scheduling` (daily runs),
:mod:`.progress` (how far a run got, in words), :mod:`mspweb.portal_config` (client
settings) and :mod:`mspweb.accounts.pools` (pool removal, R11).
"""

from __future__ import annotations

from mspweb.accounts.pools import RemovalResult, pool_removal_preview, remove_pools
from mspweb.portal_config import client_settings
from mspweb.sync.lifecycle import (
    SyncRefused,
    active_run,
    audit_outcome,
    fail_run,
    immediate,
    job_id_for,
    utcnow,
)
from mspweb.sync.progress import run_progress
from mspweb.sync.queueing import JOB_FUNCTION, request_sync
from mspweb.sync.recovery import JOB_LOST, WORKER_DIED, refresh_stale_runs
from mspweb.sync.runner import run_inline, run_sync
from mspweb.sync.scheduling import create_daily_runs

__all__ = [
    "JOB_FUNCTION",
    "JOB_LOST",
    "WORKER_DIED",
    "RemovalResult",
    "SyncRefused",
    "active_run",
    "audit_outcome",
    "client_settings",
    "create_daily_runs",
    "fail_run",
    "immediate",
    "job_id_for",
    "pool_removal_preview",
    "refresh_stale_runs",
    "remove_pools",
    "request_sync",
    "run_inline",
    "run_progress",
    "run_sync",
    "utcnow",
]
