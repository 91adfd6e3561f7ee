"""Reading numbers from the query string: one rule for every view."""

from __future__ import annotations

#: The largest id or number taken from a URL (a database integer); larger ones are malformed.
MAX_INT = 2**31 - 1


def query_int(value: str | None) -> int | None:
    """`value` as an integer, or None when absent, malformed, or beyond a database integer."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is None or -MAX_INT <= number <= MAX_INT else None
