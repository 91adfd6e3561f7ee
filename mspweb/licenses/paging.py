"""One page of the license table, fast on 50,000 rows: cheap queries, and a cache for the rest.

The first pages of the unfiltered table in an index-backed order (license key, product, units)
are plain LIMIT queries with a cached count. Every other view reads the whole ordered list of
matching row ids in one query: for a filter or a search that is a short list, and it gives the
count too. A long list (a sort by status, expiration, License User, tags or pool, or a deep
page) is computed once and kept in a small per-process cache, keyed by the user's scope, the
filters and a *data stamp* that changes whenever the rows can have changed: a sync finishing
(it writes in one transaction that also stamps its run), pools or licenses appearing or going,
a tag edit (for tag filters and the tag sort), the date. Counts are cached the same way. Short
lists that were quick to read are not cached: they are cheap to read again.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import product_choices, tags_by_license
from mspweb.licenses.queries import RowQuery, fetch_ids
from mspweb.models import AuditEntry, PoolLicense, SyncRun
from mspweb.pagination import Page
from mspweb.scope import Scope

#: Sorts an index serves in order: their first pages are plain LIMIT queries.
INDEXED_SORTS = frozenset({"key", "product"})

#: Rows from the top that a LIMIT query serves; deeper pages use the cached ordered list.
DIRECT_ROWS = 1000

#: Lists of at least this many rows are cached (config `LICENSES_CACHE_MIN_ROWS`)...
CACHE_MIN_ROWS = 2000

#: ...and so are lists that took at least this long to read (`LICENSES_CACHE_SLOW_MS`), such
#: as a search, which reads the whole license table.
CACHE_SLOW_MS = 10.0

#: Audit actions of tag edits (their newest id is part of the stamp of tag-dependent views).
TAG_ACTIONS = (
    "tag.add",
    "tag.remove",
    "tag.bulk_add",
    "tag.bulk_remove",
    "tag.rename",
    "tag.delete",
)


class StampedCache:
    """A small thread-safe LRU cache (per process) for ordered id lists, counts and lookups."""

    def __init__(self, size: int = 48) -> None:
        self.size = size
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        """The cached value for `key`, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        """Keep `value` under `key`, dropping the least recently used entries."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


cache = StampedCache()


def data_stamp(*, tags: bool = False) -> tuple:
    """A value that changes whenever license rows can have changed (see the module docstring);
    with `tags`, also whenever a tag was edited. Read once per request."""
    memo = request.environ if has_request_context() else {}
    stamp = memo.get("mspweb.license_stamp")
    if stamp is None:
        newest_tag_edit = (
            select(func.max(AuditEntry.id))
            .where(AuditEntry.action.in_(TAG_ACTIONS))
            .scalar_subquery()
        )
        stamp = tuple(
            db.session.execute(
                select(
                    select(func.count()).select_from(PoolLicense).scalar_subquery(),
                    select(func.max(PoolLicense.id)).scalar_subquery(),
                    select(func.max(SyncRun.finished_at)).scalar_subquery(),
                    newest_tag_edit,
                )
            ).one()
        )
        memo["mspweb.license_stamp"] = stamp
    return stamp if tags else stamp[:3]


@dataclass(frozen=True)
class LicensePage(Page):
    """One page of the table: its rows (`items`) with their tags, and what the pager needs."""

    tags: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    products: tuple[tuple[str, str], ...] = ()

    @property
    def rows(self) -> list:
        """The page's rows (licenses in pools)."""
        return self.items


def license_page(filters: LicenseFilters, scope: Scope, today: date | None = None) -> LicensePage:
    """The page of rows `filters` asks for, within `scope` (the last page if it asks too far)."""
    today = today or date.today()
    stamp = data_stamp(tags=bool(filters.tag) or filters.sort == "tags")
    min_rows = current_app.config.get("LICENSES_CACHE_MIN_ROWS", CACHE_MIN_ROWS)
    products = cached_products(scope, stamp)
    query = RowQuery(filters, scope, today, products)
    base_key = (
        scope.role,
        scope.company_id,
        filters.with_changes(page=1, per_page=0),
        today,
        stamp,
    )
    ids = cache.get(("ids", *base_key))
    direct = (
        not filters.is_filtered
        and filters.sort in INDEXED_SORTS
        and filters.page * filters.per_page <= DIRECT_ROWS
    )
    if ids is None and not direct:
        started = time.perf_counter()
        ids = array("q", fetch_ids(query.ids()))
        slow = (time.perf_counter() - started) * 1000 >= current_app.config.get(
            "LICENSES_CACHE_SLOW_MS", CACHE_SLOW_MS
        )
        if len(ids) >= min_rows or slow:
            cache.put(("ids", *base_key), ids)
    if ids is not None:
        total = len(ids)
        number = _clamp(filters.page, total, filters.per_page)
        start = (number - 1) * filters.per_page
        page_ids = list(ids[start : start + filters.per_page])
    else:
        total = cache.get(("count", *base_key))
        if total is None:
            total = db.session.scalar(query.count()) or 0
            if total >= min_rows:
                cache.put(("count", *base_key), total)
        number = _clamp(filters.page, total, filters.per_page)
        paged = query.ids().limit(filters.per_page).offset((number - 1) * filters.per_page)
        page_ids = fetch_ids(paged)
    rows = _in_order(db.session.execute(query.rows_by_id(page_ids)).all(), page_ids)
    tags = tags_by_license([row.license_id for row in rows])
    return LicensePage(rows, number, filters.per_page, total, tags, products)


def cached_products(scope: Scope, stamp: tuple | None = None) -> tuple[tuple[str, str], ...]:
    """The (code, name) products the user may see, cached with the data stamp."""
    stamp = stamp if stamp is not None else data_stamp()
    key = ("products", scope.role, scope.company_id, stamp[:3])
    products = cache.get(key)
    if products is None:
        products = product_choices(scope)
        cache.put(key, products)
    return products


def _clamp(page: int, total: int, per_page: int) -> int:
    return min(max(1, page), max(1, -(-total // per_page)))


def _in_order(rows: list, ids: list[int]) -> list:
    by_id = {row.row_id: row for row in rows}
    return [by_id[row_id] for row_id in ids if row_id in by_id]
