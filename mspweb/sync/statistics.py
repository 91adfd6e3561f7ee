"""Planner statistics after a sync that wrote many rows (PostgreSQL).

A first sync writes hundreds of thousands of rows into tables the planner has no statistics
for; until autovacuum's analyze reaches them (a minute or more later, or never where
autovacuum is off) PostgreSQL plans the License Management queries as if the tables were
empty: at 200,000 licenses `bench/load.py` measured 348 requests a minute instead of 587 and
the database spending 290 ms of CPU per request. So a sync that wrote at least
``SYNC_ANALYZE_AFTER_ROWS`` rows runs ``ANALYZE`` on the tables it writes, after its
transaction committed (it samples at most 30,000 rows a table: about 0.5 s at 200,000
licenses). SQLite plans well without statistics and is left alone.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

#: The tables a sync writes, whose row counts and value spread the pages' plans depend on.
SYNCED_TABLES = (
    "company",
    "license",
    "license_pool",
    "pool_license",
    "license_tag",
    "tag",
    "change_record",
)


def refresh_statistics(engine: Engine, rows_written: int, threshold: int) -> bool:
    """ANALYZE the synced tables when `rows_written` reached `threshold` (PostgreSQL only;
    a threshold of 0 or less turns it off). True when it ran."""
    if engine.dialect.name != "postgresql" or threshold <= 0 or rows_written < threshold:
        return False
    with engine.connect() as connection:
        connection.execute(text(f"ANALYZE {', '.join(SYNCED_TABLES)}"))
        connection.commit()
    return True
