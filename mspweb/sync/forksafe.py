"""Database connections never cross a fork.

An RQ worker forks a work horse per job; a connection the parent opened must not be used by
the child (both would talk over one socket). SQLAlchemy's recipe: remember the pid that opened
each pooled connection and refuse it, as disconnected, in any other process, so the pool opens
a fresh one there.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.pool import Pool


@event.listens_for(Pool, "connect")
def _remember_pid(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info["pid"] = os.getpid()


@event.listens_for(Pool, "checkout")
def _refuse_inherited(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    pid = os.getpid()
    if connection_record.info.get("pid", pid) != pid:
        connection_record.dbapi_connection = connection_proxy.dbapi_connection = None
        raise exc.DisconnectionError(
            f"connection opened in process {connection_record.info['pid']}, used in {pid}"
        )
