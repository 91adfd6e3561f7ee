"""The License Management view's parameters, read from and written back to the URL.

Filters, search, sort and paging all live in the query string, so every view of the table can
be bookmarked and opened directly. Unknown or malformed values fall back to their defaults
rather than failing: a stale bookmark still opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from mspweb.licenses.status import STATUSES
from mspweb.params import query_int

#: Sortable columns, by their URL name.
SORT_KEYS = ("key", "product", "user", "units", "expiration", "status", "tags", "pool")

#: Rows per page a user may ask for.
PAGE_SIZES = (10, 25, 50, 100, 200)

#: Longest search term taken from the URL (longer ones are cut).
MAX_SEARCH_LENGTH = 100

#: A License User is "Company" or "Company / Site": two names of at most 512 characters.
MAX_USER_LENGTH = 2 * 512 + 3


@dataclass(frozen=True)
class LicenseFilters:
    """What the license table shows: filters, search, sort order and page."""

    company: int | None = None
    tag: str | None = None
    status: str | None = None
    product: str | None = None
    q: str = ""
    account: int | None = None
    #: One group of the License User report, exactly: one pool, one License User (R10), the
    #: pools of one company only (not those below it), or the licenses without any tag.
    pool: int | None = None
    user: str | None = None
    customer: int | None = None
    untagged: bool = False
    sort: str = "key"
    dir: str = "asc"
    page: int = 1
    per_page: int = 50
    #: The configured page size: not written to URLs.
    default_per_page: int = field(default=50, compare=False, repr=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str], per_page: int = 50) -> LicenseFilters:
        """Parse request arguments; anything unknown or malformed takes its default."""
        size = query_int(args.get("per_page"))
        status = (args.get("status") or "").strip()
        sort = (args.get("sort") or "key").strip()
        return cls(
            company=query_int(args.get("company")),
            tag=(args.get("tag") or "").strip() or None,
            status=status if status in STATUSES else None,
            product=(args.get("product") or "").strip() or None,
            q=(args.get("q") or "").strip()[:MAX_SEARCH_LENGTH],
            account=query_int(args.get("account")),
            pool=query_int(args.get("pool")),
            user=(args.get("user") or "").strip()[:MAX_USER_LENGTH] or None,
            customer=query_int(args.get("customer")),
            untagged=(args.get("untagged") or "").strip().lower() in ("1", "true", "yes", "on"),
            sort=sort if sort in SORT_KEYS else "key",
            dir="desc" if args.get("dir") == "desc" else "asc",
            page=max(1, query_int(args.get("page")) or 1),
            per_page=size if size in PAGE_SIZES else per_page,
            default_per_page=per_page,
        )

    @property
    def descending(self) -> bool:
        """True when sorting in descending order."""
        return self.dir == "desc"

    @property
    def is_filtered(self) -> bool:
        """True when any filter or search narrows the table."""
        return any(
            (self.company, self.tag, self.status, self.product, self.q, self.account)
            + (self.pool, self.user, self.customer, self.untagged)
        )

    def with_changes(self, **changes) -> LicenseFilters:
        """A copy with some parameters changed (a new filter or sort resets the page)."""
        if "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The URL arguments that differ from the defaults, for `url_for`."""
        values = asdict(self.with_changes(**changes) if changes else self)
        values.pop("default_per_page")
        defaults = {item.name: item.default for item in fields(self)}
        defaults["per_page"] = self.default_per_page
        return {
            name: value
            for name, value in values.items()
            if value not in (None, "") and value != defaults[name]
        }

    def sort_args(self, column: str) -> dict[str, str | int]:
        """The URL arguments for clicking a column header: sort by it, or flip its direction."""
        direction = "desc" if column == self.sort and not self.descending else "asc"
        return self.args(sort=column, dir=direction)
