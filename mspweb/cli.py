"""The `flask` command groups of the console, registered explicitly."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Register every command group (users, accounts, licenses, tags, reports, sandbox, tokens,
    alerts)."""
    from mspweb.accounts.cli import accounts_cli
    from mspweb.alerts.cli import alerts_cli
    from mspweb.api.cli import tokens_cli
    from mspweb.licenses.cli import licenses_cli
    from mspweb.reports.cli import reports_cli
    from mspweb.sandbox.cli import sandbox_cli
    from mspweb.tags.cli import tags_cli
    from mspweb.users.cli import users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(licenses_cli)
    app.cli.add_command(tags_cli)
    app.cli.add_command(reports_cli)  # issue 10: billing, close-month, backfill
    app.cli.add_command(sandbox_cli)
    app.cli.add_command(tokens_cli)  # issue 13: API tokens
    app.cli.add_command(alerts_cli)  # issue 13: alert digests
