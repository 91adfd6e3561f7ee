"""The portal client's settings as this app configures them, for the sync and the import.

Outside :mod:`mspweb.portal` on purpose: the client knows nothing of Flask; this module reads
the app's config and hands the client a plain :class:`~mspweb.portal.ClientSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import current_app

from mspweb.portal import ClientSettings

_CONFIG_KEYS = (
    ("max_attempts", "PORTAL_MAX_ATTEMPTS"),
    ("max_total_wait", "PORTAL_MAX_TOTAL_WAIT"),
    ("backoff_base", "PORTAL_BACKOFF_BASE"),
    ("read_timeout", "PORTAL_READ_TIMEOUT"),
    ("connect_timeout", "PORTAL_CONNECT_TIMEOUT"),
)


def client_settings(
    max_calls_per_second: float | None, config: Mapping[str, Any] | None = None
) -> ClientSettings:
    """The portal client's settings: the environment's, then the app's config (`config`, by
    default the current app's), then the account's own rate limit."""
    config = current_app.config if config is None else config
    settings = ClientSettings.from_env()
    overrides: dict[str, Any] = {
        name: config[key] for name, key in _CONFIG_KEYS if config.get(key) is not None
    }
    overrides["max_calls_per_second"] = float(
        max_calls_per_second
        if max_calls_per_second is not None
        else config.get("PORTAL_MAX_CALLS_PER_SECOND", settings.max_calls_per_second)
    )
    return replace(settings, **overrides)
