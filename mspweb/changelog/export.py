"""Change lists as CSV, streamed in batches, cells neutralised like the license export's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy import Select

from mspweb.changelog.records import KIND_LABELS
from mspweb.csv_chunks import CsvChunks
from mspweb.extensions import db
from mspweb.licenses.export import neutralise

#: The CSV columns, exactly.
HEADER = (
    "When",
    "Run",
    "Kind",
    "Customer",
    "Customer ID",
    "License ID",
    "Product",
    "Field",
    "Old",
    "New",
)

BATCH_SIZE = 1000


def cell_value(value: Any) -> str:
    """A change's old or new value as text (JSON for anything but text and numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def csv_row(row) -> list[str]:
    """One CSV line for a row of `mspweb.changelog.queries.change_rows`."""
    record = row[0]
    return [
        neutralise(cell)
        for cell in (
            record.created_at.isoformat() if record.created_at else "",
            record.sync_run_id or "",
            KIND_LABELS.get(record.kind, record.kind),
            row.company_name or "",
            record.company_portal_id or "",
            record.license_key or "",
            row.product_name or "",
            record.field or "",
            cell_value(record.old),
            cell_value(record.new),
        )
    ]


def csv_lines(query: Select) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of rows."""
    writer = CsvChunks()
    drain = writer.drain

    writer.writerow(HEADER)
    yield drain()
    result = db.session.execute(query.execution_options(yield_per=BATCH_SIZE))
    for batch in result.partitions():
        for row in batch:
            writer.writerow(csv_row(row))
        yield drain()


def csv_response(query: Select, name: str) -> Response:
    """A streamed CSV download of `query`'s change rows, as `<name>-<today>.csv`."""
    response = Response(
        stream_with_context(csv_lines(query)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{date.today().isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
    return response
