"""The list of feature blueprints, registered by `mspweb.web.register_web`."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every feature blueprint of the console, in menu order."""
    return []
