"""The list of feature blueprints, registered by `mspweb.web.register_web`."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every feature blueprint of the console, in menu order."""
    from mspweb.account.views import bp as account_bp  # issue 15
    from mspweb.accounts.views import bp as accounts_bp
    from mspweb.alerts.views import bp as alerts_bp  # issue 13: alerts
    from mspweb.api.routes import bp as api_bp  # issue 13: the JSON API
    from mspweb.api.token_views import bp as tokens_bp  # issue 13: API tokens page
    from mspweb.auditlog.views import bp as audit_bp
    from mspweb.changelog.views import bp as changes_bp
    from mspweb.computers.views import bp as computers_bp
    from mspweb.customers.views import bp as customers_bp
    from mspweb.licenses.views import bp as licenses_bp
    from mspweb.reports.views import bp as reports_bp  # issue 10
    from mspweb.security.views import bp as security_bp  # issue 15
    from mspweb.sync_history.views import bp as syncs_bp
    from mspweb.tags.drift_views import bp as drift_bp
    from mspweb.tags.views import bp as tags_bp
    from mspweb.users.views import bp as users_bp
    from mspweb.webhooks.views import bp as webhooks_bp  # issue 13: webhooks

    return [
        licenses_bp,
        reports_bp,  # issue 10
        tags_bp,
        drift_bp,
        customers_bp,
        computers_bp,
        accounts_bp,
        syncs_bp,
        changes_bp,
        users_bp,
        audit_bp,
        security_bp,  # issue 15
        account_bp,  # issue 15
        alerts_bp,
        webhooks_bp,
        tokens_bp,
        api_bp,
    ]
