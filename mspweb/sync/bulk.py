"""Generic bulk writes on a SQLAlchemy Core connection: executemany, COPY, batched deletes.

Knows nothing of the domain: tables, column names and rows in, rows written out. Rows are
tuples in the order of the column names given (NamedTuples: pass ``Row._fields``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Table, delete, insert
from sqlalchemy.sql.base import Executable

T = TypeVar("T")

BATCH_SIZE = 2000
"""Rows per executemany batch: bounds the memory of parameter dicts."""

Processor = Callable[[Any], Any]


def batches(items: Iterable[T], size: int = BATCH_SIZE) -> Iterator[list[T]]:
    """`items` in lists of at most `size`."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _processed(row: Sequence[Any], per_row: Sequence[tuple[int, Processor]]) -> list[Any]:
    values = list(row)
    for index, processor in per_row:
        if values[index] is not None:
            values[index] = processor(values[index])
    return values


def _sqlite_text(value: Any) -> Any:
    """A constant as the sqlite3 module's default adapters would store it, converted once
    instead of once per row (the same text: ``datetime.isoformat(" ")``)."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_insert(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    constants: dict[str, Any] | None = None,
    size: int = 5000,
) -> int:
    """INSERT `rows` (tuples in the order of `names`, plus `constants` for every row) with the
    driver's executemany (COPY on PostgreSQL with psycopg); returns how many were inserted.

    The Core statement is compiled once and each column's bind processor applied here (the
    constants' once), so the cost per row is a tuple, not a parameter dict walked by
    SQLAlchemy.
    """
    constants = constants or {}
    all_names = (*names, *constants)
    dialect = connection.dialect
    processors = {name: table.c[name].type.bind_processor(dialect) for name in all_names}
    fixed = tuple(
        processor(value) if (processor := processors[name]) and value is not None else value
        for name, value in constants.items()
    )
    per_row = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := processors[name]) is not None
    ]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return copy_rows(connection, table, all_names, rows, per_row, fixed)
    if dialect.name == "sqlite":
        fixed = tuple(_sqlite_text(value) for value in fixed)
    compiled = insert(table).compile(dialect=dialect, column_keys=list(all_names))
    arrange = None
    if compiled.positional and compiled.positiontup is not None:
        order = [all_names.index(name) for name in compiled.positiontup]
        if order != list(range(len(all_names))):
            arrange = itemgetter(*order)
    sql = str(compiled)
    written = 0
    for batch in batches(rows, size):
        full = [(*(_processed(row, per_row) if per_row else row), *fixed) for row in batch]
        params: list[Any]
        if not compiled.positional:
            params = [dict(zip(all_names, row, strict=True)) for row in full]
        else:
            params = [arrange(row) for row in full] if arrange else full
        connection.exec_driver_sql(sql, params)
        written += len(batch)
    return written


def copy_rows(
    connection: Connection,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    per_row: Sequence[tuple[int, Processor]],
    fixed: tuple[Any, ...],
) -> int:
    """PostgreSQL: stream the rows with COPY, within the connection's transaction."""
    quote = connection.dialect.identifier_preparer
    sql = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN"
    )
    written = 0
    driver_connection: Any = connection.connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*(_processed(row, per_row) if per_row else row), *fixed))
            written += 1
    return written


class Writer:
    """Bulk writes on one connection, counting every row written in ``rows_written``."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection
        self.rows_written = 0

    def execute_many(self, statement: Executable, rows: Iterable[dict[str, Any]]) -> int:
        """Run `statement` once per parameter dict, in executemany batches."""
        written = 0
        for batch in batches(rows):
            self.conn.execute(statement, batch)
            written += len(batch)
        self.rows_written += written
        return written

    def insert(
        self,
        table: Table,
        names: Sequence[str],
        rows: Iterable[Sequence[Any]],
        constants: dict[str, Any] | None = None,
    ) -> int:
        """:func:`bulk_insert`, counted."""
        written = bulk_insert(self.conn, table, names, rows, constants)
        self.rows_written += written
        return written

    def insert_returning(
        self, table: Table, rows: Iterable[dict[str, Any]], *columns: Column[Any]
    ) -> list[tuple[Any, ...]]:
        """INSERT the rows (dicts) and return `columns` of each inserted row."""
        found: list[tuple[Any, ...]] = []
        for batch in batches(rows):
            result = self.conn.execute(insert(table).returning(*columns), batch)
            found.extend(tuple(row) for row in result)
            self.rows_written += len(batch)
        return found

    def delete_ids(self, table: Table, column: Column[Any], ids: Iterable[int]) -> int:
        """DELETE the rows whose `column` is one of `ids`, 500 at a time."""
        removed = 0
        for batch in batches(ids, 500):
            result = self.conn.execute(delete(table).where(column.in_(batch)))
            removed += result.rowcount
        self.rows_written += removed
        return removed
