"""Reports as XLSX workbooks (XlsxWriter, constant memory): typed cells, header, frozen panes.

Rows are written one by one as they come (XlsxWriter's constant-memory mode flushes each row
to a temporary file), so a workbook holds no more than the report itself in memory. Text cells
are written as strings, never as formulas; numbers and dates keep their types.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import xlsxwriter
from flask import Response

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """A column: its header and kind ("text", "int", "decimal" (2 places) or "date")."""

    header: str
    kind: str = "text"
    width: int | None = None


def _width(column: Column) -> int:
    if column.width:
        return column.width
    return max(
        len(column.header) + 2, {"text": 24, "int": 10, "decimal": 12, "date": 12}[column.kind]
    )


def write_sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
) -> int:
    """Add a sheet `name` with a bold header row, frozen under it, and the rows; returns
    how many rows were written."""
    sheet = workbook.add_worksheet(name[:31])
    bold = workbook.add_format({"bold": True, "bottom": 1})
    decimal = workbook.add_format({"num_format": "0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, column in enumerate(columns):
        sheet.set_column(index, index, _width(column))
        sheet.write_string(0, index, column.header, bold)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        for index, (column, value) in enumerate(zip(columns, row, strict=False)):
            if value is None or value == "":
                sheet.write_blank(count, index, None)
            elif column.kind == "int":
                sheet.write_number(count, index, int(value))  # type: ignore[call-overload]
            elif column.kind == "decimal":
                sheet.write_number(count, index, float(Decimal(str(value))), decimal)
            elif column.kind == "date" and isinstance(value, date):
                sheet.write_datetime(count, index, value, day)
            else:
                sheet.write_string(count, index, str(value))
    if count:
        sheet.autofilter(0, 0, count, len(columns) - 1)
    return count


def workbook_response(
    filename: str, sheets: Iterable[tuple[str, Sequence[Column], Iterable]]
) -> Response:
    """An XLSX download of the given sheets."""
    return Response(
        workbook_bytes(sheets),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def workbook_bytes(sheets: Iterable[tuple[str, Sequence[Column], Iterable]]) -> bytes:
    """The workbook of the given sheets, as bytes (for a download or a mail attachment)."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    for name, columns, rows in sheets:
        write_sheet(workbook, name, columns, rows)
    workbook.close()
    return output.getvalue()
