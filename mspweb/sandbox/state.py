"""The sandbox's runtime state: configuration, the world, tokens, rate limits and call counts."""

from __future__ import annotations

import math
import os
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import date

from .faults import FaultBook
from .generate import DEFAULT_COMPANIES, DEFAULT_LICENSES, DEFAULT_SEED, build_world

DEFAULT_TOKEN_LIFETIME = 3600
#: Refresh tokens outlive access tokens, so that an expired access token can be renewed.
REFRESH_LIFETIME = 24 * 3600


@dataclass
class SandboxConfig:
    """How a sandbox starts; :meth:`Sandbox.reset` returns to it."""

    seed: int = DEFAULT_SEED
    companies: int = DEFAULT_COMPANIES
    licenses: int = DEFAULT_LICENSES
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    rate_limit: float | None = None
    past_end: str = "empty"  # or "forbidden": a page past the end answers 403 99/1
    send_expires_in: bool = True  # False: token answers omit expiresIn (clients assume 60)
    enable_admin: bool | None = None  # None: from the SANDBOX_ADMIN environment variable
    faults: list[dict] = field(default_factory=list)
    today: date | None = None

    def admin_enabled(self) -> bool:
        """Whether the test-only ``/_sandbox`` admin endpoint is served."""
        if self.enable_admin is not None:
            return self.enable_admin
        return os.environ.get("SANDBOX_ADMIN", "").lower() in ("1", "true", "yes", "on")


@dataclass(slots=True)
class _Token:
    username: str
    portal: str
    expires_at: float


class TokenStore:
    """Access and refresh tokens, per portal, with expiry and revocation."""

    def __init__(self) -> None:
        self._access: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._lock = threading.Lock()

    def issue(self, username: str, portal: str, lifetime: int) -> dict:
        """Create a token pair; returns the Token/Get response body."""
        now = time.monotonic()
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = _Token(username, portal, now + lifetime)
            self._refresh[refresh] = _Token(username, portal, now + REFRESH_LIFETIME)
        return {"accessToken": access, "refreshToken": refresh, "expiresIn": lifetime}

    def user_for(self, access_token: str, portal: str) -> str | None:
        """The username an unexpired access token of ``portal`` belongs to, else None."""
        token = self._access.get(access_token)
        if token is None or token.portal != portal or token.expires_at <= time.monotonic():
            return None
        return token.username

    def redeem_refresh(self, refresh_token: str, portal: str) -> str | None:
        """Consume a refresh token (they are single-use); returns its username or None."""
        with self._lock:
            token = self._refresh.pop(refresh_token, None)
        if token is None or token.portal != portal or token.expires_at <= time.monotonic():
            return None
        return token.username

    def revoke(self, username: str) -> int:
        """Revoke every token of ``username``; returns how many were revoked."""
        with self._lock:
            revoked = 0
            for store in (self._access, self._refresh):
                for key in [k for k, t in store.items() if t.username == username]:
                    del store[key]
                    revoked += 1
        return revoked

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()


class RateLimiter:
    """At most ``per_second`` calls per credential in any one-second window."""

    def __init__(self, per_second: float | None = None) -> None:
        self.per_second = per_second
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, credential: str) -> int | None:
        """Record a call; returns None if allowed, else the seconds to wait (Retry-After)."""
        if not self.per_second:
            return None
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(credential, deque())
            while calls and calls[0] <= now - 1.0:
                calls.popleft()
            if len(calls) >= self.per_second:
                return max(1, math.ceil(calls[0] + 1.0 - now))
            calls.append(now)
        return None


class Sandbox:
    """Everything a running sandbox holds; views reach it through ``current_sandbox()``."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.lock = threading.RLock()
        self.tokens = TokenStore()
        self.faults = FaultBook()
        self.stats: Counter[str] = Counter()
        self.reset()

    def reset(self, **overrides) -> None:
        """Regenerate the world from the config (plus ``overrides`` of seed/companies/licenses),
        and drop tokens, faults, call counts and changed settings."""
        config = replace(self.config, **overrides)
        world = build_world(config.seed, config.companies, config.licenses, config.today)
        with self.lock:
            self.world = world
            self.token_lifetime = config.token_lifetime
            self.past_end = config.past_end
            self.send_expires_in = config.send_expires_in
            self.limiter = RateLimiter(config.rate_limit)
            self.tokens.clear()
            self.faults.clear()
            for rule in config.faults:
                self.faults.add(rule)
            self.stats.clear()

    def count_call(self, portal: str, path: str) -> None:
        """Count one call of ``path`` on ``portal`` for ``GET /_sandbox/stats``."""
        with self.lock:
            self.stats[f"{portal}/{path}"] += 1
