"""A per-application cache of the report pages' figures, keyed by the license data stamp.

The report pages aggregate tens of thousands of rows (the License User report all licenses in
pools, the billing page a month's 16,000 lines); their inputs change only when a sync or a
backfill finishes (each is a `SyncRun` whose `finished_at` is in the data stamp), when pools or
rows appear or go, or when a tag is edited: `mspweb.licenses.stamp.data_stamp` sees all of
these. So each page's figures are computed once per stamp (and day, and scope) and kept; an
entry is never stale, only unused. The cache lives on the Flask app (one per process and app),
holds at most a few report results, and the CLI, the mail job and closing a month read the
live figures directly, never through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

from mspweb.licenses.stamp import StampedCache, data_stamp
from mspweb.scope import Scope

T = TypeVar("T")

#: Report results kept per app (each is at most one month's lines or one grouping).
SIZE = 16
_EXTENSION = "mspweb.report_cache"


def report_cache() -> StampedCache:
    """The current app's report cache (created on first use)."""
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_EXTENSION, StampedCache(SIZE))
    return cache


def cached(kind: str, scope: Scope, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`'s result for this `kind`, `scope` and `key` under the current data stamp
    (tag edits included), computed on a miss and kept."""
    full = (kind, scope.role, scope.company_id, key, data_stamp(tags=True))
    cache = report_cache()
    value = cache.get(full)
    if value is None:
        value = compute()
        cache.put(full, value)
    return value
