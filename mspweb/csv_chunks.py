"""CSV text written in chunks, for the streamed exports (licenses, changes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any


class CsvChunks:
    """A CSV writer over a buffer that hands out what was written so far, then forgets it."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow(row)

    def drain(self) -> str:
        """The text written since the last drain."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
