"""Stream a ``skip``/``take`` listing page by page, refusing listings that do not add up.

A page shorter than ``take`` is the last one. Where the portal sends ``totalCount``, the
pages must add up to it: a listing that ends early, runs past it, or repeats an item raises
:class:`PortalProtocolError`, so that a partial listing never looks complete. Only the
current page and the identities already seen are held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any, TypeVar

from . import parsing
from .auth import PortalConnection
from .errors import PortalAccessError, PortalProtocolError, ResponseShapeError

T = TypeVar("T")

NO_SUCH_PAGE = (99, 1)
"""``code``/``subCode`` of a 403 that, past the first page, means "no such page"."""


def _total_count(page: Mapping[str, Any], call: str) -> int | None:
    if page.get("totalCount") is None:
        return None
    total = parsing.integer(page, "totalCount", call)
    if total < 0:
        raise ResponseShapeError(f"{call}.totalCount should not be negative")
    return total


def pages(
    connection: PortalConnection,
    call: str,
    query: dict[str, Any],
    list_key: str,
    parse_item: Callable[[object, str], T],
    identity: Callable[[T], Hashable],
) -> Iterator[T]:
    """Yield the parsed items of ``POST call`` with ``query`` plus ``skip``/``take``.

    ``list_key`` names the page's list (``"search"``), ``parse_item(json, where)`` parses one
    entry, ``identity(record)`` is its identity (a repeat means the listing shifted).
    """
    take = connection.settings.page_size
    seen: set[Hashable] = set()
    total: int | None = None
    skip = 0
    while True:
        try:
            payload = connection.call("POST", call, {**query, "skip": skip, "take": take})
        except PortalAccessError as exc:
            if skip == 0 or (exc.code, exc.sub_code) != NO_SUCH_PAGE:
                raise
            # "No such page": the listing ended exactly at a page boundary.
            _check_end(call, len(seen), total)
            return
        try:
            page = parsing.expect_object(payload, call)
            entries = parsing.expect_list(page.get(list_key), f"{call}.{list_key}")
            total = _total_count(page, call)
            records = [
                parse_item(entry, f"{call}.{list_key}[{skip + index}]")
                for index, entry in enumerate(entries)
            ]
        except ResponseShapeError as exc:
            raise PortalProtocolError(
                f"{call}: the portal's answer has the wrong shape: {exc}", call=call
            ) from None
        if len(records) > take:
            raise PortalProtocolError(
                f"{call}: the portal sent {len(records)} items for a page of {take}", call=call
            )
        for record in records:
            key = identity(record)
            if key in seen:
                raise PortalProtocolError(
                    f"{call}: the portal listed {key} twice; the list changed while it was "
                    "being read, try again",
                    call=call,
                )
            seen.add(key)
        last_page = len(records) < take
        if total is not None and len(seen) > total:
            raise PortalProtocolError(
                f"{call}: the portal sent {len(seen)} items but said there are {total}; the "
                "list changed while it was being read, try again",
                call=call,
            )
        if last_page:
            _check_end(call, len(seen), total)
        yield from records
        if last_page or (total is not None and len(seen) == total):
            return
        skip += take


def _check_end(call: str, received: int, total: int | None) -> None:
    """Refuse a listing that ended before the ``totalCount`` the portal announced."""
    if total is not None and received < total:
        raise PortalProtocolError(
            f"{call}: the listing ended after {received} of {total} items; it is incomplete",
            call=call,
        )
