"""The list of feature blueprints, registered by `mspweb.web.register_web`."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every feature blueprint of the console, in menu order."""
    from mspweb.accounts.views import bp as accounts_bp
    from mspweb.auditlog.views import bp as audit_bp
    from mspweb.computers.views import bp as computers_bp
    from mspweb.customers.views import bp as customers_bp
    from mspweb.licenses.views import bp as licenses_bp
    from mspweb.reports.views import bp as reports_bp  # issue 10
    from mspweb.sync_history.views import bp as syncs_bp
    from mspweb.tags.views import bp as tags_bp
    from mspweb.users.views import bp as users_bp

    return [
        licenses_bp,
        reports_bp,  # issue 10
        tags_bp,
        customers_bp,
        computers_bp,
        accounts_bp,
        syncs_bp,
        users_bp,
        audit_bp,
    ]
