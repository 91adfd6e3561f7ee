"""`flask tags ...`: tag drift after renames, and its fix (the same action as the page's)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Account, Company
from mspweb.scope import Scope
from mspweb.tags.drift import drift_rows, fix_drift

tags_cli = AppGroup("tags", help="Tags: drift after company renames, and its fix.")

#: The command line acts with an administrator's scope.
EVERYTHING = Scope(role="admin")


def _account(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.ClickException(f"There is no account {account_id}.")
    return account


@tags_cli.command("drift")
@click.option("--account", "account_id", type=int, required=True, help="The account's id.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def drift_command(account_id: int, as_json: bool) -> None:
    """Licenses still tagged with a former name of their renamed company, most first."""
    _account(account_id)
    rows = drift_rows(EVERYTHING, account_id)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(
            f"{row.tag} -> {row.current_name}: {len(row.licenses)} licenses still tagged "
            f"'{row.tag}' (company {row.company_portal_id})"
        )


@tags_cli.command("fix-drift")
@click.option("--account", "account_id", type=int, required=True, help="The account's id.")
@click.option("--company", "portal_id", required=True, help="The company's portal id.")
def fix_drift_command(account_id: int, portal_id: str) -> None:
    """Rename every former name's tag on the company's licenses to its current name."""
    _account(account_id)
    company_id = db.session.scalar(
        select(Company.id).where(Company.account_id == account_id, Company.portal_id == portal_id)
    )
    if company_id is None:
        raise click.ClickException(f"Account {account_id} has no company {portal_id}.")
    rows = drift_rows(EVERYTHING, account_id, company_id)
    entries = fix_drift(EVERYTHING, rows, None)
    for entry in entries:
        entry.actor = "command line"
    db.session.commit()
    licenses = sum(len(row.licenses) for row in rows)
    click.echo(
        f"Renamed the tag to the current name on {licenses} licenses "
        f"({len(rows)} former names; audit entries {', '.join(str(e.id) for e in entries) or '-'})."
    )
