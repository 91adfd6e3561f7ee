"""Sync runs a user may see: administrators all of them, operators their own account's.

Operators are confined to a subtree of one account's company tree (R12), so they see the
runs of the accounts whose companies they can see. Customer users never reach these queries
(the pages answer 404 first), and their scope would return nothing anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import joinedload

from mspweb.extensions import db
from mspweb.models import Account, SyncRun, SyncStatus
from mspweb.pagination import Page, paginate
from mspweb.params import query_int
from mspweb.scope import current_scope

RUNS_PER_PAGE = 50
STATUSES = [status.value for status in SyncStatus]


def visible_accounts_clause(account_column) -> ColumnElement[bool]:
    """A WHERE clause keeping the accounts the current user may see."""
    visible = current_scope().account_ids()
    return true() if visible is None else account_column.in_(visible)


def visible_accounts() -> list[Account]:
    """The accounts the current user may see, by name."""
    return list(
        db.session.scalars(
            select(Account)
            .where(visible_accounts_clause(Account.id))
            .order_by(Account.name, Account.id)
        )
    )


def get_visible_run(run_id: int) -> SyncRun:
    """The run with `run_id` if the user may see it; 404 otherwise (nothing revealed)."""
    run = db.session.scalar(
        select(SyncRun)
        .options(joinedload(SyncRun.account))
        .where(SyncRun.id == run_id, visible_accounts_clause(SyncRun.account_id))
    )
    if run is None:
        abort(404)
    return run


@dataclass(frozen=True)
class HistoryFilters:
    """The Sync history's filters, as they appear in the URL."""

    account: int | None = None
    status: str | None = None

    @classmethod
    def from_args(cls, args) -> HistoryFilters:
        """Read `account` and `status` from the query string, ignoring invalid values."""
        account = query_int(args.get("account"))
        if account is not None and account <= 0:
            account = None
        status = args.get("status") or None
        return cls(account=account, status=status if status in STATUSES else None)

    def as_args(self) -> dict[str, str | int]:
        """The filters as query-string arguments (empty ones left out)."""
        return {
            key: value
            for key, value in (("account", self.account), ("status", self.status))
            if value
        }


def history_query(filters: HistoryFilters) -> Select:
    """Every visible run matching `filters`, newest first."""
    query = (
        select(SyncRun)
        .options(joinedload(SyncRun.account))
        .where(visible_accounts_clause(SyncRun.account_id))
        .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
    )
    if filters.account:
        query = query.where(SyncRun.account_id == filters.account)
    if filters.status:
        query = query.where(SyncRun.status == filters.status)
    return query


def history_page(filters: HistoryFilters, number: int) -> Page:
    """One page of the Sync history."""
    return paginate(history_query(filters), number, RUNS_PER_PAGE)
