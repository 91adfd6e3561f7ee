"""Loading an account's existing licenses in a thread while the portals are read."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from mspweb.sync.engine import ExistingRows, load_existing

log = logging.getLogger(__name__)


class Preloader:
    """Loads the account's existing licenses in a thread while the portals are read."""

    def __init__(self, engine: Engine, account_id: int) -> None:
        self.engine = engine
        self.account_id = account_id
        self.rows: ExistingRows | None = None
        self.thread = threading.Thread(target=self._load, name=f"preload-{account_id}", daemon=True)

    def _load(self) -> None:
        try:
            with self.engine.connect() as connection:
                self.rows = load_existing(connection, self.account_id)
        except SQLAlchemyError:  # the apply transaction loads them itself
            log.warning("preloading account %s failed", self.account_id, exc_info=True)

    def start(self) -> Preloader:
        """Start loading."""
        self.thread.start()
        return self

    def result(self) -> ExistingRows | None:
        """Wait for the rows (None if loading failed)."""
        if self.thread.is_alive() or self.thread.ident is not None:
            self.thread.join()
        return self.rows
