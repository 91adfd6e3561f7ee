"""`flask tokens ...`: create and revoke API tokens from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from mspweb.api.tokens import TokenRefused, create_token, find_token, revoke_token
from mspweb.extensions import db
from mspweb.models import User

tokens_cli = AppGroup("tokens", help="Manage API tokens.")


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user {email}.")
    return user


@tokens_cli.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="A name to recognise the token by.")
@click.option("--write", is_flag=True, help="Read-write (administrators and operators only).")
@click.option("--expires-days", type=int, default=None, help="Expire after this many days.")
def create_command(email: str, name: str, write: bool, expires_days: int | None) -> None:
    """Create a token for a user; the token is printed on the last line, once."""
    user = _user(email)
    try:
        new = create_token(user, name, can_write=write, expires_days=expires_days)
        db.session.commit()
    except TokenRefused as refusal:
        db.session.rollback()
        raise click.ClickException(str(refusal)) from None
    access = "read-write" if write else "read-only"
    click.echo(f"Created {access} token “{new.token.name}” for {user.email}. It is shown once:")
    click.echo(new.secret)


@tokens_cli.command("revoke")
@click.option("--email", required=True)
@click.option("--name", required=True)
def revoke_command(email: str, name: str) -> None:
    """Revoke a user's token by its name."""
    user = _user(email)
    token = find_token(user, name)
    if token is None:
        raise click.ClickException(f"{user.email} has no token named “{name}”.")
    revoke_token(token, None)
    db.session.commit()
    click.echo(f"Revoked token “{name}” of {user.email}.")
