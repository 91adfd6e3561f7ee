"""What the MSP and business portal clients share: construction, login, stats, closing."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from .auth import PortalConnection
from .errors import PortalProtocolError, ResponseShapeError
from .settings import CallStats, ClientSettings

T = TypeVar("T")


class PortalClientBase:
    """A client for one account on one portal.

    Calls log in lazily; ``stats`` counts what the client did. Use it as a context manager,
    or call :meth:`close`. One client is meant for one thread at a time.
    """

    def __init__(
        self, base_url: str, username: str, password: str, settings: ClientSettings | None = None
    ) -> None:
        self._connection = PortalConnection(base_url, username, password, settings)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._connection.transport.display_url!r})"

    @property
    def stats(self) -> CallStats:
        """Counters of the calls made so far (see :class:`CallStats`)."""
        return self._connection.stats

    @property
    def settings(self) -> ClientSettings:
        """The settings this client runs with."""
        return self._connection.settings

    def login(self) -> None:
        """Log in now (``Token/Get``); raises :class:`PortalAuthError` if refused."""
        self._connection.login()

    def close(self) -> None:
        """Release the HTTP connections. The client can log in again if used afterwards."""
        self._connection.close()

    def __enter__(self) -> Self:
        """Use the client in a ``with`` block; it is closed at the end."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the client (exceptions are not suppressed)."""
        self.close()

    def _fetch(
        self,
        method: str,
        call: str,
        body: dict[str, Any] | None,
        parse: Callable[[object, str], T],
    ) -> T:
        """Make one call and parse its answer; a wrong shape becomes PortalProtocolError."""
        payload = self._connection.call(method, call, body)
        try:
            return parse(payload, call)
        except ResponseShapeError as exc:
            raise PortalProtocolError(
                f"{call}: the portal's answer has the wrong shape: {exc}", call=call
            ) from None
