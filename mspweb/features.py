"""The list of feature blueprints, registered by `mspweb.web.register_web`."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every feature blueprint of the console, in menu order."""
    from mspweb.auditlog.views import bp as audit_bp
    from mspweb.users.views import bp as users_bp

    return [
        users_bp,
        audit_bp,
    ]
