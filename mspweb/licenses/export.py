"""The license table as CSV, streamed: the page's filters, sort and scope, one row per license in
a pool, never all rows in memory (the rows come in batches through a server-side cursor).

Cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) are neutralised with a leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from flask import Response, stream_with_context
from sqlalchemy import String, cast

from mspweb.csv_chunks import CsvChunks
from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import product_choices
from mspweb.licenses.queries import RowQuery
from mspweb.licenses.status import EXPIRING_SOON_DAYS, STATUSES, status_label
from mspweb.models import Company, License, LicensePool, LicenseState, PoolLicense, Site
from mspweb.scope import Scope
from mspweb.sync.license_user import SEPARATOR

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

SUSPENDED, OBSOLETE = int(LicenseState.SUSPENDED), int(LicenseState.OBSOLETE)

#: Rows fetched (and written) per batch.
BATCH_SIZE = 1000

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell's text, with a leading apostrophe when it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(filters: LicenseFilters, scope: Scope, today: date | None = None) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of rows.

    The rows come as plain tuples of plain columns through a server-side cursor (`yield_per`):
    dates as ISO text, and the status and License User worked out here rather than by SQL
    CASE expressions, which cost more than the rest of the row. Each batch's tags come from
    one more query. 200,000 rows stream in seconds, in the memory of one batch.
    """
    today = today or date.today()
    writer = CsvChunks()
    drain = writer.drain

    writer.writerow(HEADER)
    yield drain()
    query = RowQuery(filters, scope, today, product_choices(scope))
    statement = query.ordered(query.selecting(*export_columns(), pool_side=True))
    result = db.session.connection().execute(statement.execution_options(yield_per=BATCH_SIZE))
    labels = {name: status_label(name) for name in STATUSES}
    now, soon = today.isoformat(), (today + timedelta(days=EXPIRING_SOON_DAYS)).isoformat()
    try:
        for batch in result.partitions(BATCH_SIZE):
            tags = tag_text([row[0] for row in batch])
            for (
                license_id,
                key,
                product,
                company,
                site,
                used,
                units,
                state,
                trial,
                trial_end,
                expiration,
                unlinked,
                source,
            ) in batch:
                ends = trial_end if trial and trial_end is not None else expiration
                ends = ends[:10] if ends else ""
                if unlinked:
                    status = "unlinked"
                elif state == SUSPENDED:
                    status = "suspended"
                elif state == OBSOLETE or (ends and ends < now):
                    status = "expired"
                elif used > units:
                    status = "overused"
                elif trial:
                    status = "trial"
                elif ends and ends <= soon:
                    status = "expiring"
                else:
                    status = "normal"
                who = f"{company}{SEPARATOR}{site}" if site else company
                if source == "business":
                    pool = who + (" · business portal" if site else BUSINESS_COMPANY_LEVEL)
                else:
                    pool = who + " · MSP portal"
                writer.writerow(
                    (
                        neutralise(key),
                        neutralise(product),
                        neutralise(who),
                        _number(used),
                        _number(units),
                        labels[status],
                        ends,
                        neutralise(tags.get(license_id, "")),
                        neutralise(pool),
                    )
                )
            yield drain()
    finally:
        result.close()


def export_columns() -> list:
    """The export's columns: plain values only (see `csv_lines`, which reads them in order;
    the status rules are those of `mspweb.licenses.status`)."""
    return [
        License.id,
        License.public_key,
        License.product_name,
        Company.name,
        Site.name,
        PoolLicense.usage,
        PoolLicense.quantity,
        License.state,
        License.trial,
        cast(License.trial_expiration, String),
        cast(License.expiration, String),
        Company.unlinked_at.is_not(None),
        LicensePool.source,
    ]


def tag_text(license_ids: list[int]) -> dict[int, str]:
    """Each license's tag names joined with "; " in name order, for one batch, in one query
    sent straight to the DBAPI cursor (the ids are integers read from the database)."""
    if not license_ids:
        return {}
    listed = ",".join(str(int(license_id)) for license_id in set(license_ids))
    driver = db.session.connection().connection.driver_connection
    assert driver is not None  # a live connection of the session
    cursor = driver.cursor()
    try:
        cursor.execute(
            "SELECT license_tag.license_id, tag.name FROM license_tag "
            "JOIN tag ON tag.id = license_tag.tag_id "
            f"WHERE license_tag.license_id IN ({listed}) ORDER BY tag.name"
        )
        names: dict[int, list[str]] = {}
        for license_id, name in cursor.fetchall():
            names.setdefault(license_id, []).append(name)
    finally:
        cursor.close()
    return {license_id: "; ".join(found) for license_id, found in names.items()}


def _number(value: int) -> str:
    return str(value) if value >= 0 else neutralise(value)


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


#: The pool label's end for a business-portal pool at company level (no site).
BUSINESS_COMPANY_LEVEL = " · business portal · company level"
