"""Logged-in calls to a portal: bearer tokens obtained, renewed before expiry, recovered on 401.

:class:`PortalConnection` is what both clients build on. It logs in lazily with
``Token/Get``, renews with ``Token/Renew`` shortly before the token expires, and when a call
is answered 401 it renews once and retries; if renewing fails it logs in again once and
retries; if that fails too, the credentials are no longer valid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from . import parsing
from .errors import (
    PortalAccessError,
    PortalAuthError,
    PortalNotFound,
    PortalProtocolError,
    ResponseShapeError,
)
from .settings import CallStats, ClientSettings
from .transport import TokenRejected, Transport

DEFAULT_TOKEN_LIFETIME = 60.0
"""Seconds a token lives when ``Token/Get``/``Token/Renew`` do not say (``expiresIn`` absent)."""

REJECTED_AT_LOGIN = "the portal rejected the username or password"
NO_LONGER_VALID = "credentials no longer valid"


@dataclass(frozen=True)
class _Token:
    access: str
    refresh: str | None
    lifetime: float
    expires_at: float  # time.monotonic() clock

    def needs_renewal(self) -> bool:
        """True when less than 10% of the lifetime (at least 5 s, at most half) is left."""
        margin = min(max(5.0, 0.1 * self.lifetime), 0.5 * self.lifetime)
        return self.expires_at - time.monotonic() <= margin

    def __repr__(self) -> str:
        return f"_Token(lifetime={self.lifetime:g})"  # never show the tokens


def _parse_token(payload: Any, call: str, sent_at: float) -> _Token:
    """The token answer of ``Token/Get``/``Token/Renew``; its lifetime counts from ``sent_at``."""
    try:
        answer = parsing.expect_object(payload, call)
        access = parsing.text(answer, "accessToken", call)
        refresh = parsing.text_or_none(answer, "refreshToken", call)
        lifetime = DEFAULT_TOKEN_LIFETIME
        if answer.get("expiresIn") is not None:
            lifetime = float(parsing.integer(answer, "expiresIn", call))
    except ResponseShapeError as exc:
        raise PortalProtocolError(
            f"{call}: the portal's answer has the wrong shape: {exc}", call=call
        ) from None
    if not access or lifetime <= 0:
        raise PortalProtocolError(f"{call}: the portal's answer holds no usable token", call=call)
    return _Token(access, refresh or None, lifetime, sent_at + lifetime)


class PortalConnection:
    """One account's authenticated connection to one portal. Not thread-safe."""

    def __init__(
        self, base_url: str, username: str, password: str, settings: ClientSettings | None
    ) -> None:
        self.settings = settings or ClientSettings()
        self.stats = CallStats()
        self.transport = Transport(base_url, self.settings, self.stats)
        self._username = username
        self._password = password
        self._token: _Token | None = None
        self._ever_logged_in = False

    def __repr__(self) -> str:
        return f"PortalConnection({self.transport.display_url!r}, user={self._username!r})"

    def login(self) -> None:
        """Log in with ``Token/Get``; :class:`PortalAuthError` if the credentials are refused."""
        sent_at = time.monotonic()
        credentials = {"username": self._username, "password": self._password}
        try:
            payload = self.transport.request("POST", "Token/Get", credentials)
        except TokenRejected as exc:
            self._token = None
            message = NO_LONGER_VALID if self._ever_logged_in else REJECTED_AT_LOGIN
            raise PortalAuthError(
                message, call="Token/Get", status=exc.status, code=exc.code, sub_code=exc.sub_code
            ) from None
        self._token = _parse_token(payload, "Token/Get", sent_at)
        self._ever_logged_in = True
        self.stats.logins += 1

    def _renew(self) -> bool:
        """Renew the token with ``Token/Renew``; False if the portal would not renew it."""
        if self._token is None or self._token.refresh is None:
            return False
        sent_at = time.monotonic()
        try:
            payload = self.transport.request(
                "POST", "Token/Renew", {"refreshToken": self._token.refresh}
            )
            renewed = _parse_token(payload, "Token/Renew", sent_at)
        except (TokenRejected, PortalAccessError, PortalNotFound, PortalProtocolError):
            return False
        if renewed.refresh is None:  # the portal kept the refresh token as it was
            renewed = replace(renewed, refresh=self._token.refresh)
        self._token = renewed
        self.stats.renewals += 1
        return True

    def _renew_or_login(self) -> None:
        if not self._renew():
            self.login()

    def _bearer(self) -> str:
        """The access token for the next attempt: logs in or renews first when needed."""
        if self._token is None:
            self.login()
        elif self._token.needs_renewal():
            self._renew_or_login()
        assert self._token is not None
        return self._token.access

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one authenticated call and return its decoded JSON (see module doc for 401)."""
        try:
            return self.transport.request(method, path, body, bearer=self._bearer)
        except TokenRejected:
            pass
        self.stats.retries += 1
        renewed = self._renew()
        if not renewed:
            self.login()
        try:
            return self.transport.request(method, path, body, bearer=self._bearer)
        except TokenRejected:
            if not renewed:
                raise PortalAuthError(NO_LONGER_VALID, call=path, status=401) from None
        self.stats.retries += 1
        self.login()
        try:
            return self.transport.request(method, path, body, bearer=self._bearer)
        except TokenRejected:
            raise PortalAuthError(NO_LONGER_VALID, call=path, status=401) from None

    def close(self) -> None:
        """Forget the token and close the HTTP session."""
        self._token = None
        self.transport.close()
