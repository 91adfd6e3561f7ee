"""Server-side paging, the one pager of every list: a `Page` of rows and what the pager macro
(`pager` in templates/macros/table.html) needs.

Short lists (customers, sync runs, audit entries, tags, users) page with `paginate`: a count and
a LIMIT/OFFSET query. The license table, which must stay fast at 200,000 rows, builds its own
`Page` subclass in `mspweb.licenses.table` (seek paging), whose `link_args` put an anchor row
into the Next and Previous links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from mspweb.extensions import db
from mspweb.params import query_int


@dataclass(frozen=True)
class Page:
    """One page of `items` out of `total` rows."""

    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, so "page 1 of 1" reads right when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        """True when there is a page before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """True when there is a page after this one."""
        return self.number < self.pages

    @property
    def first_row(self) -> int:
        """The 1-based number of the first row shown (0 when there are none)."""
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        """The 1-based number of the last row shown."""
        return self.first_row + len(self.items) - 1 if self.items else 0

    def link_args(self, number: int) -> dict[str, Any]:
        """Extra URL arguments of the pager's link to page `number` (none for a plain page)."""
        return {}


def clamp_page(number: int, total: int, per_page: int) -> int:
    """`number` within 1 and the last page of `total` rows."""
    return min(max(1, number), max(1, -(-total // per_page)))


def page_number() -> int:
    """The `page` query parameter as a positive integer (1 when absent or invalid)."""
    return max(1, query_int(request.args.get("page")) or 1)


def paginate(
    query: Select, number: int, per_page: int, scalars: bool = True, total: int | None = None
) -> Page:
    """Count `query`'s rows (unless the caller knows `total`), then fetch page `number`
    (clamped to the last page)."""
    if total is None:
        count = select(func.count()).select_from(query.order_by(None).subquery())
        total = db.session.scalar(count) or 0
    number = clamp_page(number, total, per_page)
    paged = query.limit(per_page).offset((number - 1) * per_page)
    result = db.session.scalars(paged) if scalars else db.session.execute(paged)
    return Page(items=list(result.all()), number=number, per_page=per_page, total=total)
