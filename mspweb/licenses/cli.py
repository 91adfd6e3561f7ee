"""`flask licenses ...`: the license table from the command line.

    flask --app wsgi licenses export --account 1 > licenses.csv

writes the same CSV as the page's export (same columns, statuses, neutralised cells), for one
account, optionally filtered like the page, to standard output.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.licenses.export import csv_lines
from mspweb.licenses.filters import SORT_KEYS, LicenseFilters
from mspweb.licenses.status import STATUSES
from mspweb.models import Account, Company
from mspweb.scope import Scope

licenses_cli = AppGroup("licenses", help="Licenses in pools: export them as CSV.")


@licenses_cli.command("export")
@click.option("--account", "account_id", type=int, required=True, help="The account's id.")
@click.option("--company", "company_portal_id", help="Only this company (portal id) and below.")
@click.option("--tag", help="Only licenses with this tag.")
@click.option("--status", type=click.Choice(list(STATUSES)), help="Only this status.")
@click.option("--product", help="Only this product code.")
@click.option("--search", default="", help="Key, product or License User contains this.")
@click.option("--sort", type=click.Choice(SORT_KEYS), default="key", show_default=True)
@click.option("--desc", is_flag=True, help="Sort in descending order.")
def export_command(
    account_id: int,
    company_portal_id: str | None,
    tag: str | None,
    status: str | None,
    product: str | None,
    search: str,
    sort: str,
    desc: bool,
) -> None:
    """Write the account's licenses in pools as CSV to standard output."""
    if db.session.get(Account, account_id) is None:
        raise click.ClickException(f"No account with id {account_id}.")
    company_id = None
    if company_portal_id:
        company_id = db.session.scalar(
            select(Company.id).where(
                Company.account_id == account_id, Company.portal_id == company_portal_id
            )
        )
        if company_id is None:
            raise click.ClickException(
                f"Account {account_id} has no company with portal id {company_portal_id!r}."
            )
    filters = LicenseFilters(
        account=account_id,
        company=company_id,
        tag=tag,
        status=status,
        product=product,
        q=search.strip(),
        sort=sort,
        dir="desc" if desc else "asc",
    )
    for chunk in csv_lines(filters, Scope(role="admin")):
        click.echo(chunk, nl=False)
