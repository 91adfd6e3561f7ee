"""Read a record stream in a thread, so the sync's work on one page overlaps the next page."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class Prefetch(Generic[T]):
    """Runs a record stream in a thread, handing its records over in chunks, so that the
    sync's own work on one page overlaps the portal's answering of the next."""

    _DONE = object()

    def __init__(self, stream: Iterator[T], chunk: int = 100, depth: int = 8) -> None:
        self._stream = stream
        self._chunk = chunk
        self._queue: queue.Queue[list[T] | BaseException | object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="portal-prefetch", daemon=True)

    def _put(self, item: list[T] | BaseException | object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        chunk: list[T] = []
        try:
            for record in self._stream:
                if self._stop.is_set():
                    return
                chunk.append(record)
                if len(chunk) >= self._chunk:
                    if not self._put(chunk):
                        return
                    chunk = []
            if chunk and not self._put(chunk):
                return
            self._put(self._DONE)
        except BaseException as error:  # handed to the consumer, raised there
            self._put(error)

    def __iter__(self) -> Iterator[T]:
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is self._DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield from cast("list[T]", item)
        finally:
            self._stop.set()
            self._thread.join(timeout=30)
