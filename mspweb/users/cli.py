"""`flask users ...`: create and list console users from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from mspweb.customers.setup import SetupError, SetupMode, SetupRefused, set_up_customer
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
    """Create a user; operators and customers are confined to --company.

    A customer login for a customer that is not set up yet runs the customer setup (R17): the
    customer gets its group and shows as set up, as with the wizard. An unlinked customer is
    refused.
    """
    try:
        company = find_company_by_portal_id(company_portal_id) if company_portal_id else None
        if role == "customer" and company is not None and company.setup_state != "set_up":
            user = set_up_customer(company, SetupMode.CREATE, email, password, None, None).user
        else:
            if role == "customer" and company is not None and company.is_unlinked:
                raise SetupRefused(f"{company.name} is unlinked: it is no longer managed here.")
            user = create_user(email, password, role, company)
        db.session.commit()
    except (UserError, SetupError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except SetupRefused as refusal:
        db.session.rollback()
        raise click.ClickException(refusal.message) from None
    scope = f" confined to {company.name}" if company else ""
    click.echo(f"Created {user.role} {user.email}{scope}.")


@users_cli.command("list")
def list_command() -> None:
    """List every user with its role and company."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        company = user.company.name if user.company else "-"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{company}")
