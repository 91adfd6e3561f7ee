"""Reading numbers from URLs, query strings and forms: one rule for every view."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

#: The largest id or number taken from a URL (a database integer); larger ones are malformed.
MAX_INT = 2**31 - 1


def query_int(value: str | None) -> int | None:
    """`value` as an integer, or None when absent, malformed, or beyond a database integer."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is None or in_range(number) else None


def in_range(number: int) -> bool:
    """True when `number` fits a database integer (ids beyond it exist nowhere)."""
    return -MAX_INT <= number <= MAX_INT


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond a database integer is a 404 at once, instead
    of reaching the database and failing there (SQLite OverflowError, PostgreSQL DataError).

    It raises NotFound rather than declining the match, so that a POST-only path whose GET
    twin exists is a 404 too (a declined match would make it a 405).
    """

    def to_python(self, value: str) -> int:
        """The id, or NotFound when it cannot exist."""
        if not in_range(int(value)):
            raise NotFound()
        return super().to_python(value)


def register_converters(app: Flask) -> None:
    """Replace the `int` URL converter app-wide (call before any blueprint is registered)."""
    app.url_map.converters["int"] = BoundedIntConverter
