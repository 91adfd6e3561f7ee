"""`flask reports ...`: the billing record and the usage backfill from the command line.

flask --app wsgi reports billing --account 1 --month 2026-11 > billing.csv
flask --app wsgi reports close-month --account 1 --month 2026-11
flask --app wsgi reports backfill --account 1
"""

from __future__ import annotations

import csv
import sys

import click
from flask.cli import AppGroup

from mspweb.extensions import db
from mspweb.models import Account
from mspweb.reports.billing import (
    CSV_HEADER,
    BillingError,
    billing_report,
    close_month,
    csv_lines,
    parse_month,
)
from mspweb.scope import Scope
from mspweb.usage.refresh import utc_today

reports_cli = AppGroup("reports", help="Reports: monthly billing, closing a month, backfill.")

_ACCOUNT = click.option("--account", "account_id", type=int, required=True, help="Account id.")
_MONTH = click.option("--month", required=True, help="The month, YYYY-MM.")


def _account(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.ClickException(f"No account with id {account_id}.")
    return account


def _month(text: str):
    try:
        return parse_month(text, utc_today())
    except BillingError as error:
        raise click.ClickException(str(error)) from None


@reports_cli.command("billing")
@_ACCOUNT
@_MONTH
def billing_command(account_id: int, month: str) -> None:
    """Print the month's billing CSV (one row per customer x product x license type)."""
    _account(account_id)
    report = billing_report(account_id, _month(month), Scope(role="admin"), utc_today())
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_lines(report))


@reports_cli.command("close-month")
@_ACCOUNT
@_MONTH
def close_month_command(account_id: int, month: str) -> None:
    """Close the month: its billing figures are frozen as they are now."""
    _account(account_id)
    try:
        close = close_month(account_id, _month(month), None, utc_today())
    except BillingError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Closed {close.month:%Y-%m} of account {account_id}: {len(close.lines)} lines.")


@reports_cli.command("backfill")
@_ACCOUNT
def backfill_command(account_id: int) -> None:
    """Run the account's usage backfill in this process (as its job would)."""
    from mspweb.usage.backfill import run_inline

    _account(account_id)
    outcome = run_inline(account_id)
    if outcome["status"] != "succeeded":
        raise click.ClickException(f"The backfill failed: {outcome.get('error')}")
    click.echo(
        f"Backfilled account {account_id}: {outcome['rows_written']} usage rows, "
        f"{outcome['portal_calls']} portal calls (run {outcome['run_id']})."
    )
