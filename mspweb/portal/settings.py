"""How the client talks to a portal (timeouts, retries, rate limit, paging) and what it counted."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

MAX_PAGE_SIZE = 100
"""The largest ``take`` the contract allows on a list call."""

_ENV_NAMES = {
    "connect_timeout": "PORTAL_CONNECT_TIMEOUT",
    "read_timeout": "PORTAL_READ_TIMEOUT",
    "max_attempts": "PORTAL_MAX_ATTEMPTS",
    "max_total_wait": "PORTAL_MAX_TOTAL_WAIT",
    "max_calls_per_second": "PORTAL_MAX_CALLS_PER_SECOND",
}


@dataclass(frozen=True)
class ClientSettings:
    """Tuning for one portal client.

    - ``connect_timeout``/``read_timeout``: seconds, passed to every HTTP request.
    - ``max_attempts``: how many times one call is sent at most when the portal answers
      transiently (429, 5xx, timeouts, broken connections).
    - ``max_total_wait``: seconds one call may take in all, retries included; a retry whose
      wait (backoff or the portal's ``Retry-After``) would go past it is not made.
    - ``backoff_base``/``backoff_max``: exponential backoff, ``base * 2**n`` capped at
      ``max``, with jitter.
    - ``max_calls_per_second``: client-side rate limit (retries and token calls count);
      0 turns it off.
    - ``page_size``: ``take`` for list calls, 1 to 100.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 6
    max_total_wait: float = 120.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_calls_per_second: float = 10.0
    page_size: int = 100

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, naming the setting."""
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("connect_timeout and read_timeout must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_wait < 0 or self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("max_total_wait, backoff_base and backoff_max must not be negative")
        if self.max_calls_per_second < 0:
            raise ValueError("max_calls_per_second must not be negative (0 turns it off)")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ClientSettings:
        """Settings from ``PORTAL_*`` environment variables; unset ones keep their default.

        Reads PORTAL_CONNECT_TIMEOUT, PORTAL_READ_TIMEOUT, PORTAL_MAX_ATTEMPTS,
        PORTAL_MAX_TOTAL_WAIT and PORTAL_MAX_CALLS_PER_SECOND. A value that is not a number
        raises ``ValueError`` naming the variable.
        """
        environ = dict(os.environ) if environ is None else environ
        types = {setting.name: setting.type for setting in fields(cls)}
        values: dict[str, float | int] = {}
        for name, env_name in _ENV_NAMES.items():
            raw = environ.get(env_name, "").strip()
            if not raw:
                continue
            try:
                values[name] = int(raw) if types[name] in (int, "int") else float(raw)
            except ValueError:
                raise ValueError(f"{env_name} should be a number, not {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class CallStats:
    """What one client did, for logs and benchmarks.

    ``calls`` counts every HTTP request sent (token calls and retries included), ``retries``
    every request sent again after a transient failure or a 401, ``waited_seconds`` the time
    slept for backoff, ``Retry-After`` and the rate limit, ``logins``/``renewals`` the
    successful ``Token/Get``/``Token/Renew`` calls, ``by_status`` the answers per HTTP status.
    """

    calls: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    logins: int = 0
    renewals: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
