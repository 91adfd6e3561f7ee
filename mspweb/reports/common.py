"""What the report pages share: the account a report is about, and the signed-in guard."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Account
from mspweb.scope import Scope


def visible_accounts(scope: Scope) -> list[Account]:
    """The accounts with a company in `scope`, by id."""
    query = select(Account).order_by(Account.id)
    ids = scope.account_ids()
    if ids is not None:
        query = query.where(Account.id.in_(ids))
    return list(db.session.scalars(query))


def chosen_account(scope: Scope, raw: str | None) -> tuple[Account | None, list[Account]]:
    """The account `?account=` names (404 if not a visible one), else the first visible."""
    accounts = visible_accounts(scope)
    if raw in (None, ""):
        return (accounts[0] if accounts else None), accounts
    if not str(raw).isdigit():
        abort(400, description="The account must be a number.")
    account = next((a for a in accounts if a.id == int(str(raw))), None)
    if account is None:
        abort(404)
    return account, accounts
