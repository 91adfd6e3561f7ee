"""The license data stamp and a small per-process cache of what is cheap to keep and costly to
recount: totals, group counts, the product list, the tree.

The *data stamp* changes whenever the rows can have changed: a sync finishing (it writes in one
transaction that also stamps its run), pools appearing or going (their count: a few thousand,
not the 200,000 rows; a pool removal deletes pools), rows appearing (the newest row id), a tag
edit (for tag filters and the tag sort). Keys carry the stamp (and the date where statuses
matter), so an entry is never stale, only unused. Nothing here holds rows: each entry is a
number, a short list of (group, count) pairs (at most one per pool), the products or the tree.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import has_request_context, request
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.licenses.lookups import product_choices
from mspweb.models import AuditEntry, LicensePool, PoolLicense, SyncRun
from mspweb.scope import Scope

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
    """A small thread-safe LRU cache (per process) for counts and lookups (never row lists)."""

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
                    select(func.count()).select_from(LicensePool).scalar_subquery(),
                    select(func.max(PoolLicense.id)).scalar_subquery(),
                    select(func.max(SyncRun.finished_at)).scalar_subquery(),
                    newest_tag_edit,
                )
            ).one()
        )
        memo["mspweb.license_stamp"] = stamp
    return stamp if tags else stamp[:3]


def cached_products(scope: Scope, stamp: tuple | None = None) -> tuple[tuple[str, str], ...]:
    """The (code, name) products the user may see, cached with the data stamp."""
    stamp = stamp if stamp is not None else data_stamp()
    key = ("products", scope.role, scope.company_id, stamp[:3])
    products = cache.get(key)
    if products is None:
        products = product_choices(scope)
        cache.put(key, products)
    return products
