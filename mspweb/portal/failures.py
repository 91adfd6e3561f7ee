"""Helpers for describing failed portal calls: transient outcomes, error bodies, Retry-After."""

from __future__ import annotations

import datetime
import email.utils
import http
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import ErrorDetails, PortalError, PortalProtocolError, PortalUnavailable

MAINTENANCE_CODE = (99, 2)
"""``code``/``subCode`` of a 503 that means the portal is under maintenance."""


def status_text(status: int) -> str:
    """``"503 Service Unavailable"``; just the number for statuses HTTP does not name."""
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def safe_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "<invalid URL>"


def error_details(payload: Any) -> tuple[str | None, int | None, int | None]:
    """``(message, code, subCode)`` of a portal error body; ``None`` for what it lacks."""
    if not isinstance(payload, dict):
        return None, None, None
    message = payload.get("message")
    code = payload.get("code")
    sub_code = payload.get("subCode")
    return (
        message.strip()[:300] or None if isinstance(message, str) else None,
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        sub_code if isinstance(sub_code, int) and not isinstance(sub_code, bool) else None,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    ``None`` when absent or unreadable (the caller then uses its own backoff).
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(seconds, 0.0)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


@dataclass(frozen=True)
class Transient:
    """A failed attempt that may succeed if repeated.

    ``kind`` is ``"status"`` (429/5xx), ``"timeout"``, ``"connect"`` (no connection),
    ``"dropped"`` (the connection closed before an answer), ``"broken"`` (the answer was cut
    off before its announced length) or ``"not_json"`` (a 2xx body that is not JSON).
    """

    kind: str
    status: int | None = None
    code: int | None = None
    sub_code: int | None = None
    retry_after: float | None = None
    reason: str = ""

    def give_up(
        self,
        call: str,
        url: str,
        attempts: int,
        next_wait: float | None = None,
        budget: float | None = None,
    ) -> PortalError:
        """The exception to raise once retrying stops, after ``attempts`` attempts.

        ``next_wait``/``budget`` are given when the wait before another attempt would have
        gone past ``max_total_wait``.
        """
        details: ErrorDetails = {
            "call": call,
            "status": self.status,
            "code": self.code,
            "sub_code": self.sub_code,
        }
        tried = f"tried {_times(attempts)}"
        if next_wait is not None and budget is not None:
            tried += (
                f"; waiting {next_wait:.3g} s more would go past the {budget:g} s"
                " allowed for one call"
            )
        if self.kind == "not_json":
            return PortalProtocolError(
                f"{call}: the portal's answer was not valid JSON ({tried})", **details
            )
        if self.kind == "timeout":
            return PortalUnavailable(f"{call}: the portal at {url} timed out ({tried})", **details)
        if self.kind == "connect":
            return PortalUnavailable(
                f"could not connect to {url} ({self.reason}; {tried})", **details
            )
        if self.kind == "broken":
            return PortalProtocolError(
                f"{call}: the portal's answer was cut off before its end ({tried})", **details
            )
        if self.kind == "dropped":
            return PortalUnavailable(
                f"{call}: the portal at {url} dropped the connection ({self.reason}; {tried})",
                **details,
            )
        assert self.status is not None
        if self.status == 503 and (self.code, self.sub_code) == MAINTENANCE_CODE:
            return PortalUnavailable(
                f"the portal is under maintenance; try again later ({call}, {tried})", **details
            )
        if self.status == 429:
            return PortalUnavailable(
                f"{call}: the portal kept answering 429 Too Many Requests ({tried})", **details
            )
        return PortalUnavailable(
            f"{call}: the portal answered {status_text(self.status)} ({tried})", **details
        )
