"""One page of the license table at any size: seek paging on indexes, no lists of rows.

A page never reads more rows than it shows plus what an index walk skips, and nothing keeps a
list of rows between requests. By sort:

- key, product, units: the order is an index (license key; product name and key; units). The
  Next and Previous links carry the row next to the page (``after=<row id>`` / ``before=``):
  that row's sort values are read by primary key and the page is a LIMIT query from them
  (keyset or "seek" paging). A bare page number (a bookmark, a numbered link) is an OFFSET on
  the same index, walked from the nearer end, so the last pages cost what the first ones do.
  A deep page's first row is remembered with the data stamp (a few per view), and bare page
  numbers at or after it seek from there: only the first request of a deep page walks.
- status, License User, pool: the order is a group (the status, or the pool) and then an
  index inside it. The rows per group are one GROUP BY kept with the data stamp (at most seven
  statuses, or one number per pool: it grows with the companies, not with the licenses); a page
  reads only the groups it spans, in one statement.
- expiration and tags: no index serves the order; the page is an ORDER BY ... LIMIT in SQL.

The total is one count, kept with the data stamp (`mspweb.licenses.stamp`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, union_all

from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import tags_by_license
from mspweb.licenses.queries import RowQuery, fetch_ids
from mspweb.licenses.stamp import cache, cached_products, data_stamp
from mspweb.licenses.status import STATUSES, status_expr
from mspweb.models import License, LicensePool, PoolLicense
from mspweb.pagination import Page, clamp_page
from mspweb.params import query_int
from mspweb.scope import Scope

#: Sorts whose order an index serves: their pages seek from an anchor row.
INDEX_SORTS = frozenset({"key", "product", "units"})

#: Sorts that order pools first, then the rows of each pool.
POOL_SORTS = frozenset({"user", "pool"})


@dataclass(frozen=True)
class Anchor:
    """Where a Next or Previous link starts: the row just before the page (`after`) or just
    after it (`before`), by row id, from the URL."""

    after: int | None = None
    before: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Anchor:
        """Read ``after`` / ``before`` (malformed values are ignored)."""
        return cls(query_int(args.get("after")), query_int(args.get("before")))


@dataclass(frozen=True)
class LicensePage(Page):
    """One page of the table: its rows (`items`) with their tags, and what the pager needs."""

    tags: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    products: tuple[tuple[str, str], ...] = ()
    #: True when the Next and Previous links may carry an anchor (an index sort).
    seekable: bool = False

    @property
    def rows(self) -> list:
        """The page's rows (licenses in pools)."""
        return self.items

    def link_args(self, number: int) -> dict[str, Any]:
        """Next starts after this page's last row, Previous before its first one."""
        if not self.seekable or not self.items:
            return {}
        if number == self.number + 1:
            return {"after": self.items[-1].row_id}
        if number == self.number - 1:
            return {"before": self.items[0].row_id}
        return {}


def license_page(
    filters: LicenseFilters,
    scope: Scope,
    today: date | None = None,
    anchor: Anchor | None = None,
) -> LicensePage:
    """The page of rows `filters` asks for, within `scope` (the last page if it asks too far)."""
    today = today or date.today()
    stamp = data_stamp(tags=bool(filters.tag) or filters.sort == "tags")
    products = cached_products(scope, stamp)
    query = RowQuery(filters, scope, today, products)
    view = (scope.role, scope.company_id, filters.with_changes(page=1, per_page=0), today, stamp)
    # the total does not depend on the order: one count serves every sort of these filters
    unsorted = filters.with_changes(page=1, per_page=0, sort="key", dir="asc")
    rows_view = (scope.role, scope.company_id, unsorted, today, stamp)
    count_key = ("count", *rows_view)
    if filters.sort == "status" and cache.get(count_key) is None:
        # the status groups partition the rows: their sum is the count, without a second scan
        cache.put(count_key, sum(_status_counts(query, rows_view).values()))
    total = remembered(count_key, lambda: db.session.scalar(query.count()) or 0)
    number = clamp_page(filters.page, total, filters.per_page)
    offset, size = (number - 1) * filters.per_page, filters.per_page
    if filters.sort in POOL_SORTS:
        ids = _by_pool(query, view, offset, size)
    elif filters.sort == "status":
        ids = _by_status(query, rows_view, offset, size)
    else:
        ids = _by_index(query, anchor or Anchor(), offset, size, total, view)
    by_id = {row.row_id: row for row in db.session.execute(query.rows_by_id(ids))}
    rows = [by_id[row_id] for row_id in ids if row_id in by_id]
    tags = tags_by_license([row.license_id for row in rows])
    seekable = filters.sort in INDEX_SORTS
    return LicensePage(rows, number, filters.per_page, total, tags, products, seekable)


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept in the stamped cache under `key` (a count, or group counts)."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.put(key, value)
    return value


def ordered(query: RowQuery, statement: Select, *, reverse: bool = False) -> Select:
    """`statement` in the display order of `query`, or in the opposite order."""
    if not reverse:
        return query.ordered(statement)
    flipped = query.filters.with_changes(dir="asc" if query.filters.descending else "desc")
    return RowQuery(flipped, query.scope, query.today, query.products).ordered(statement)


def seek(columns: list[ColumnElement], values, *, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `columns` (all one direction), written so
    that the first column's index bounds the walk."""
    terms: list[Any] = []
    equal: list[Any] = []
    for column, value in zip(columns, values, strict=True):
        terms.append(and_(*equal, column < value if descending else column > value))
        equal.append(column == value)
    bound = columns[0] <= values[0] if descending else columns[0] >= values[0]
    return and_(bound, or_(*terms))


#: Where a deep page started, remembered per view: bare page numbers near it seek from there.
MAX_PAGE_STARTS = 32

#: Below this many rows to skip, a bare page number is an OFFSET walk (as cheap as a seek).
SHORT_WALK = 2000


def _by_index(
    query: RowQuery, anchor: Anchor, offset: int, size: int, total: int, view: tuple
) -> list[int]:
    """A page in an index order: from its anchor row when the link gave one, else from the
    start of a deep page served before (the same view and data stamp), else by offset from
    the nearer end of the list."""
    row_id = anchor.after if anchor.after is not None else anchor.before
    if query.filters.sort in INDEX_SORTS and row_id is not None:
        forward = anchor.after is not None
        ids = _beside(query, row_id, size, forward=forward)
        if ids is not None and (forward or len(ids) == size):
            return ids if forward else ids[::-1]  # before the anchor: a whole page, else below
    from_end = total - offset - size
    walk = min(offset, max(0, from_end))
    if query.filters.sort in INDEX_SORTS and walk > SHORT_WALK:
        starts: dict[int, int] = cache.get(("page-starts", *view)) or {}
        known = max((start for start in starts if start <= offset), default=None)
        if known is not None and offset - known < walk:
            ids = _from_start(query, starts[known], offset - known, size)
            if ids is not None:
                return ids
        ids = _walk(query, offset, size, from_end)
        if ids:
            _remember_start(view, starts, offset, ids[0])
        return ids
    return _walk(query, offset, size, from_end)


def _walk(query: RowQuery, offset: int, size: int, from_end: int) -> list[int]:
    """The page at `offset` by an OFFSET walk of the order, from the nearer end."""
    base = query.id_select()
    if offset > from_end > -size:  # nearer the end: walk the index backwards
        rows = size + min(0, from_end)
        statement = ordered(query, base, reverse=True).limit(rows).offset(max(0, from_end))
        return fetch_ids(statement)[::-1]
    return fetch_ids(ordered(query, base).limit(size).offset(offset))


def _beside(
    query: RowQuery, row_id: int, size: int, *, forward: bool, skip: int = 0
) -> list[int] | None:
    """Up to `size` rows strictly after (or before) row `row_id` in display order, skipping
    `skip` first; None if that row no longer exists."""
    columns = query.sort_columns()
    unfiltered = RowQuery(LicenseFilters(sort=query.filters.sort), query.scope, query.today)
    values = db.session.execute(
        unfiltered.selecting(*columns, pool_side=True, sorting=False).where(
            PoolLicense.id == row_id
        )
    ).first()
    if values is None:
        return None
    descending = query.filters.descending != (not forward)
    statement = query.id_select().where(seek(columns, values, descending=descending))
    return fetch_ids(ordered(query, statement, reverse=not forward).limit(size).offset(skip))


def _from_start(query: RowQuery, start_id: int, skip: int, size: int) -> list[int] | None:
    """The page `skip` rows after the remembered first row `start_id` of an earlier page."""
    if skip == 0:
        rest = _beside(query, start_id, size - 1, forward=True)
        return None if rest is None else [start_id, *rest]
    return _beside(query, start_id, size, forward=True, skip=skip - 1)


def _remember_start(view: tuple, starts: dict[int, int], offset: int, row_id: int) -> None:
    """Keep that the page at `offset` of this view starts with row `row_id` (a few per view)."""
    kept = {**starts, offset: row_id}
    while len(kept) > MAX_PAGE_STARTS:
        kept.pop(next(iter(kept)))
    cache.put(("page-starts", *view), kept)


def _by_status(query: RowQuery, view: tuple, offset: int, size: int) -> list[int]:
    """A page sorted by status: each status it spans is read by license key, in one UNION."""
    status = status_expr(query.today)
    counts = _status_counts(query, view)
    order = [name for name in STATUSES if counts.get(name)]
    if query.filters.descending:
        order.reverse()
    parts = _spans([(name, counts[name]) for name in order], offset, size)
    if not parts:
        return []
    selects = []
    inside: list[Any] = [License.public_key, PoolLicense.id]  # the order within one status
    if query.filters.descending:
        inside = [column.desc() for column in inside]
    for position, (name, skip, take) in enumerate(parts):
        inner = (
            query.selecting(PoolLicense.id, License.public_key)
            .where(status == name)
            .order_by(*inside)
            .limit(take)
            .offset(skip)
            .subquery()
        )
        selects.append(select(literal(position).label("part"), inner.c.id, inner.c.public_key))
    union = union_all(*selects).subquery()
    within: list[Any] = [union.c.public_key, union.c.id]
    if query.filters.descending:
        within = [column.desc() for column in within]
    return fetch_ids(select(union.c.id).order_by(union.c.part, *within))


def _status_counts(query: RowQuery, view: tuple) -> dict[str, int]:
    """How many matching rows each status holds (one GROUP BY, kept with the data stamp;
    `view` names the filters without their order, which does not change the counts)."""
    status = status_expr(query.today)
    return remembered(
        ("status-groups", *view),
        lambda: dict(
            db.session.execute(query.selecting(status, func.count()).group_by(status)).all()
        ),
    )


def _by_pool(query: RowQuery, view: tuple, offset: int, size: int) -> list[int]:
    """A page sorted by pool (or License User): the pools it spans, then their rows."""
    pool_columns = query.sort_columns()[:-1]

    pool_order: list[Any] = list(pool_columns)
    if query.filters.descending:
        pool_order = [column.desc() for column in pool_columns]

    def groups() -> list[tuple[int, int]]:
        statement = query.selecting(LicensePool.id, func.count(PoolLicense.id))
        statement = statement.group_by(*pool_columns).order_by(*pool_order)
        return [(pool_id, count) for pool_id, count in db.session.execute(statement)]

    parts = _spans(remembered(("pool-groups", *view), groups), offset, size)
    if not parts:
        return []
    pools = [pool_id for pool_id, _, _ in parts]
    statement = query.id_select().where(PoolLicense.pool_id.in_(pools))
    return fetch_ids(ordered(query, statement).limit(size).offset(parts[0][1]))


def _spans(groups: list[tuple[Any, int]], offset: int, size: int) -> list[tuple[Any, int, int]]:
    """The groups rows `offset` to `offset + size` fall in: (group, rows skipped in it, rows
    taken from it), in order."""
    parts, start = [], 0
    for group, count in groups:
        end = start + count
        if end > offset and start < offset + size:
            skip = max(0, offset - start)
            parts.append((group, skip, min(count - skip, offset + size - start - skip)))
        start = end
        if start >= offset + size:
            break
    return parts
