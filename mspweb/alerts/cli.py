"""`flask alerts send-digests`: mail the alert digests that are due."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from mspweb.alerts.digest import send_due_digests

alerts_cli = AppGroup("alerts", help="Alerts and their e-mail digests.")


@alerts_cli.command("send-digests")
def send_digests_command() -> None:
    """Send every daily or weekly alert digest that is due."""
    click.echo(f"Sent {send_due_digests()} alert digests.")
