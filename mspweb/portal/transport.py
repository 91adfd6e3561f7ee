"""One HTTP call to a portal: rate limit, timeouts, retries with backoff, errors mapped.

:class:`Transport` sends a request and returns the decoded JSON of a 2xx answer. Transient
failures (429, 5xx, timeouts, broken connections, a 2xx body that is not JSON) are retried
with exponential backoff and jitter, honouring ``Retry-After``, within the settings'
``max_attempts`` and ``max_total_wait``. Everything else becomes a ``Portal*`` exception; a 401
becomes :class:`TokenRejected`, which the token layer (``auth.py``) handles.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import requests
import requests.auth

from .errors import (
    ErrorDetails,
    PortalAccessError,
    PortalAuthError,
    PortalNotFound,
    PortalProtocolError,
    PortalUnavailable,
)
from .failures import Transient, error_details, parse_retry_after, safe_url, status_text
from .settings import CallStats, ClientSettings

USER_AGENT = "mspweb-portal-client/1.0"


class TokenRejected(PortalAuthError):
    """The portal answered 401. Internal: the token layer renews, logs in again, or gives up."""


class BearerAuth(requests.auth.AuthBase):
    """Sends ``Authorization: Bearer <token>``; its repr never shows the token.

    Passing an explicit auth object also keeps ``requests`` from applying ``~/.netrc``.
    """

    def __init__(self, token: str | None) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(...)"


NO_AUTH = BearerAuth(None)
"""For the token calls: no Authorization header (and no ``~/.netrc`` credentials either)."""


class RateLimiter:
    """Spaces calls at least ``1 / per_second`` seconds apart (no bursts); 0 turns it off."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next_free = 0.0

    def acquire(self) -> float:
        """Wait until the next call may start; return the seconds slept."""
        if not self._interval:
            return 0.0
        now = time.monotonic()
        wait = self._next_free - now
        if wait > 0:
            time.sleep(wait)
            now = time.monotonic()
        self._next_free = max(now, self._next_free) + self._interval
        return max(wait, 0.0)


class Transport:
    """Sends requests to one portal over one ``requests.Session`` and counts them in ``stats``."""

    def __init__(self, base_url: str, settings: ClientSettings, stats: CallStats) -> None:
        self.base_url = base_url.rstrip("/")
        self.display_url = safe_url(self.base_url)
        self.settings = settings
        self.stats = stats
        self._limiter = RateLimiter(settings.max_calls_per_second)
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    def close(self) -> None:
        """Close the HTTP session's connections."""
        self._session.close()

    def request(
        self,
        method: str,
        call: str,
        body: dict[str, Any] | None = None,
        *,
        bearer: Callable[[], str] | None = None,
    ) -> Any:
        """Send ``method call`` (a path relative to the base URL) and return the answer's JSON.

        ``bearer`` is asked for the access token before every attempt, so that a retry after
        a long wait goes out with a fresh token. Raises a ``Portal*`` exception, or
        :class:`TokenRejected` on 401.
        """
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            auth = BearerAuth(bearer()) if bearer else NO_AUTH
            outcome = self._attempt(method, call, body, auth)
            if not isinstance(outcome, Transient):
                return outcome
            delay = self._delay(attempt, outcome.retry_after)
            elapsed = time.monotonic() - started
            if attempt >= self.settings.max_attempts:
                raise outcome.give_up(call, self.display_url, attempt)
            if elapsed + delay > self.settings.max_total_wait:
                raise outcome.give_up(
                    call, self.display_url, attempt, delay, self.settings.max_total_wait
                )
            time.sleep(delay)
            self.stats.waited_seconds += delay
            self.stats.retries += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before the next attempt: the portal's word, else backoff + jitter."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _attempt(
        self, method: str, call: str, body: dict[str, Any] | None, auth: requests.auth.AuthBase
    ) -> Any:
        """One HTTP exchange: the decoded JSON, a :class:`Transient`, or a raised error."""
        self.stats.waited_seconds += self._limiter.acquire()
        self.stats.calls += 1
        try:
            response = self._session.request(
                method,
                f"{self.base_url}/{call}",
                json=body,
                auth=auth,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
        except requests.Timeout:
            return Transient("timeout")
        except requests.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                return Transient("timeout")
            kind = "connect" if _never_connected(exc) else "dropped"
            return Transient(kind, reason=_connection_reason(exc))
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            return Transient("broken")
        except requests.TooManyRedirects:
            raise PortalProtocolError(
                f"{call}: the portal at {self.display_url} redirected too many times", call=call
            ) from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.URLRequired,
        ):
            raise PortalUnavailable(
                f"the portal address {self.display_url!r} is not a valid http(s) URL", call=call
            ) from None
        except Exception as exc:  # noqa: BLE001 - nothing from requests/urllib3 may escape
            raise PortalUnavailable(
                f"could not talk to {self.display_url} ({type(exc).__name__})", call=call
            ) from None
        return self._interpret(response, call)

    def _interpret(self, response: requests.Response, call: str) -> Any:
        """Map one HTTP answer to its JSON, a :class:`Transient`, or a raised error."""
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        try:
            payload = json.loads(response.content)
            is_json = True
        except ValueError:
            payload, is_json = None, False
        message, code, sub_code = error_details(payload)
        details: ErrorDetails = {
            "call": call,
            "status": status,
            "code": code,
            "sub_code": sub_code,
        }
        said = f": {message}" if message else ""
        if 200 <= status < 300:
            if is_json:
                return payload
            return Transient("not_json", status=status)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return Transient(
                "status", status=status, code=code, sub_code=sub_code, retry_after=retry_after
            )
        if status == 401:
            raise TokenRejected(f"{call}: the portal answered 401 Unauthorized", **details)
        if status == 403:
            raise PortalAccessError(
                f"{call}: the portal refused access (403 Forbidden){said}", **details
            )
        if status == 404:
            raise PortalNotFound(f"{call}: the portal found no such object (404){said}", **details)
        if status == 400:
            raise PortalProtocolError(
                f"{call}: the portal refused the request as malformed (400 Bad Request){said}",
                **details,
            )
        raise PortalProtocolError(
            f"{call}: the portal answered with an unexpected {status_text(status)}{said}",
            **details,
        )


def _never_connected(exc: BaseException) -> bool:
    """Whether a ``ConnectionError`` happened before the connection was made."""
    text = str(exc)
    return (
        "NewConnectionError" in text
        or "NameResolutionError" in text
        or ("Failed to establish a new connection" in text)
    )


def _connection_reason(exc: BaseException) -> str:
    """A short, secret-free reason for a failed connection ("connection refused")."""
    text = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("reset", "connection reset"),
        ("name or service not known", "host not found"),
        ("nodename nor servname", "host not found"),
        ("failed to resolve", "host not found"),
        ("getaddrinfo", "host not found"),
        ("certificate", "TLS certificate not accepted"),
        ("ssl", "TLS error"),
        ("remotedisconnected", "the portal closed the connection"),
        ("aborted", "connection aborted"),
        ("unreachable", "network unreachable"),
    ):
        if needle in text:
            return reason
    return "connection failed"
