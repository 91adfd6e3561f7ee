"""`flask users ...`: create and list console users from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import User
from mspweb.users.service import UserError, create_user, find_company_by_portal_id

users_cli = AppGroup("users", help="Manage console users.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", type=click.Choice(["admin", "operator", "customer"]), default="admin")
@click.option("--company", "company_portal_id", help="Portal id of the confined company.")
def create_command(email: str, password: str, role: str, company_portal_id: str | None) -> None:
    """Create a user; operators and customers are confined to --company."""
    try:
        company = find_company_by_portal_id(company_portal_id) if company_portal_id else None
        user = create_user(email, password, role, company)
        db.session.commit()
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    scope = f" confined to {company.name}" if company else ""
    click.echo(f"Created {user.role} {user.email}{scope}.")


@users_cli.command("list")
def list_command() -> None:
    """List every user with its role and company."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        company = user.company.name if user.company else "-"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{company}")
