"""The license table as CSV, streamed: the page's filters, sort and scope, one row per license in
a pool, never all rows in memory (the rows come in batches through a server-side cursor).

Cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from flask import Response, stream_with_context

from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import product_choices, tags_by_license
from mspweb.licenses.queries import RowQuery
from mspweb.licenses.status import end_date, status_label
from mspweb.scope import Scope

#: The CSV columns, exactly.
HEADER = (
    "License ID",
    "Product",
    "License User",
    "Used",
    "Units",
    "Status",
    "Expiration",
    "Tags",
    "Pool",
)

#: Rows fetched (and written) per batch.
BATCH_SIZE = 1000

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell's text, with a leading apostrophe when it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(row, tags: list[tuple[int, str]]) -> list[str]:
    """One CSV line's cells for a table row and its license's tags."""
    ends = end_date(row)
    return [
        neutralise(cell)
        for cell in (
            row.public_key,
            row.product_name,
            row.license_user,
            row.used,
            row.units,
            status_label(row.status),
            ends.isoformat() if ends else "",
            "; ".join(name for _, name in tags),
            pool_label(row),
        )
    ]


def csv_lines(filters: LicenseFilters, scope: Scope, today: date | None = None) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of rows."""
    today = today or date.today()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def drain() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield drain()
    query = RowQuery(filters, scope, today, product_choices(scope))
    result = db.session.execute(query.rows().execution_options(yield_per=BATCH_SIZE))
    for batch in result.partitions():
        tags = tags_by_license([row.license_id for row in batch])
        for row in batch:
            writer.writerow(csv_row(row, tags[row.license_id]))
        yield drain()


def csv_response(filters: LicenseFilters, scope: Scope) -> Response:
    """A streamed CSV download of the rows `filters` selects within `scope`."""
    today = date.today()
    response = Response(
        stream_with_context(csv_lines(filters, scope, today)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="licenses-{today.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
    return response


def pool_label(row) -> str:
    """A row's pool in words: whose pool it is (company, or company / site; R04, R05) and
    which portal it came from."""
    if row.pool_source == "business":
        level = "" if row.site_name else " · company level"
        return f"{row.license_user} · business portal{level}"
    return f"{row.license_user} · MSP portal"
