"""Database engine settings: SQLite pragmas and explicit transaction control.

SQLite (the embedded default) is shared by the web, worker and scheduler processes: WAL lets
pages read while a sync writes, a busy timeout makes writers queue instead of failing, and
transactions are begun explicitly (pysqlite's implicit BEGIN is turned off) so that a sync can
take the write lock up front with ``BEGIN IMMEDIATE`` (execution option ``sqlite_immediate``).

A web request that may write (any method but GET, HEAD and OPTIONS) begins its session's
transactions with ``BEGIN IMMEDIATE`` too. A deferred transaction that read first and writes
later cannot wait for the lock: when another process committed in between, SQLite refuses the
upgrade at once ("database is locked") instead of calling the busy handler, so six people saving
at the same moment got 500s (issue 15, finding 9). Taking the lock up front makes them queue.
Only the session's transactions: a connection of its own that the request opens to read (stale
run recovery) stays deferred, and one that writes (``sqlite_immediate``) is opened only after the
session's transaction ended (:func:`mspweb.sync.lifecycle.immediate`), since the request would
otherwise wait for its own lock. A GET that writes (an API token's first use) calls
:func:`begin_write` first. Requests must not hold a transaction across slow work (portal calls,
password hashing): they commit first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

SQLITE_BUSY_TIMEOUT_MS = 60_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REQUEST_LOCK = "mspweb.request_lock"  # session.info key: the transaction locked for a request


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for the configured database.

    On PostgreSQL the console's connections start no parallel workers by default
    (``DATABASE_PARALLEL_WORKERS``): its queries are short page reads, and a plan that
    starts workers waits for free CPUs. On a loaded 2-CPU server the licenses of a tree node
    took 450 to 890 ms with two workers and 30 to 47 ms without."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    workers = config.get("DATABASE_PARALLEL_WORKERS", -1)
    if uri.startswith("postgresql") and workers is not None and int(workers) >= 0:
        connect_args = dict(options.get("connect_args") or {})
        setting = f"-c max_parallel_workers_per_gather={int(workers)}"
        connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), setting]))
        options["connect_args"] = connect_args
    return options


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.split(".")[0] not in {"sqlite3", "pysqlite2"}:
        return
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@event.listens_for(Session, "after_begin")
def _sqlite_lock_in_requests_that_write(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    """A session transaction of a request that may write takes SQLite's write lock up front.

    It has just begun (deferred, so nothing is read or locked yet): it is begun again as
    ``BEGIN IMMEDIATE`` on the same connection before its first statement."""
    if connection.dialect.name != "sqlite" or transaction.nested:
        return
    if connection.get_execution_options().get("sqlite_immediate", False):
        return
    if has_request_context() and request.method not in READ_ONLY_METHODS:
        connection.exec_driver_sql("ROLLBACK")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        session.info[_REQUEST_LOCK] = transaction


def release_request_lock(session: Session | scoped_session[Any]) -> None:
    """At the end of a request: roll back a transaction that took the write lock for it.

    Flask-SQLAlchemy ends the session with the app context; where that context outlives the
    request (a test client inside an outer app context, a CLI command making requests) the
    transaction would otherwise keep SQLite locked for everyone else."""
    current = session() if isinstance(session, scoped_session) else session
    begun = current.info.pop(_REQUEST_LOCK, None)
    if begun is not None and current.get_transaction() is begun:
        current.rollback()


def begin_write(session: Session | scoped_session[Any], *, keep_pending: bool = False) -> None:
    """End `session`'s transaction and begin one that takes SQLite's write lock up front, so
    that what the caller reads next is still true when it writes, and the write waits for
    other writers instead of failing. The ended transaction is rolled back, or committed with
    `keep_pending`. Objects loaded before are read again on next access."""
    if keep_pending:
        session.commit()
    else:
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})
