"""What the Accounts page shows about each imported account, in a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Account, AccountKind, License, LicensePool, SyncRun, SyncStatus
from mspweb.models.base import utcnow

KIND_WORDS: dict[str, str] = {
    AccountKind.MSP: "MSP portal",
    AccountKind.BUSINESS: "Business portal",
    AccountKind.MIXED: "MSP and business portals",
}


@dataclass(frozen=True)
class AccountState:
    """An account's state as the page shows it: a short code (for the badge) and words."""

    code: str
    words: str


@dataclass(frozen=True)
class AccountRow:
    """One account on the Accounts page."""

    account: Account
    state: AccountState
    pools: int
    licenses: int
    next_sync: datetime | None
    #: The account's latest sync run (queued, running or finished).
    run: SyncRun | None

    @property
    def kind_words(self) -> str:
        """Which portals the account opens, in words."""
        return KIND_WORDS.get(self.account.kind, self.account.kind)


def account_state(account: Account, latest_run: SyncRun | None) -> AccountState:
    """Synchronizing, disconnected, credentials no longer valid, last sync failed, synchronized."""
    if latest_run is not None and latest_run.is_active:
        return AccountState("synchronizing", "Synchronizing")
    if not account.is_active:
        return AccountState("disconnected", "Disconnected (pools removed)")
    if not account.credentials_valid:
        return AccountState("error", "Credentials no longer valid")
    if account.last_sync_status == SyncStatus.FAILED:
        return AccountState("error", "Last sync failed")
    if account.last_success_at is not None:
        return AccountState("synchronized", "Synchronized")
    return AccountState("never", "Not synchronized yet")


def next_daily_sync(account: Account, now: datetime | None = None) -> datetime | None:
    """When the daily sync (R13) runs next: DAILY_SYNC_HOUR:00 UTC; None when disconnected."""
    if not account.is_active:
        return None
    now = now or utcnow()
    hour = int(current_app.config.get("DAILY_SYNC_HOUR", 2))
    candidate = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def account_rows() -> list[AccountRow]:
    """Every imported account with its state and counts: four queries, whatever the sizes."""
    accounts = list(db.session.scalars(select(Account).order_by(Account.name, Account.id)))
    pools = dict(
        db.session.execute(
            select(LicensePool.account_id, func.count()).group_by(LicensePool.account_id)
        ).all()
    )
    licenses = dict(
        db.session.execute(
            select(License.account_id, func.count()).group_by(License.account_id)
        ).all()
    )
    newest = select(func.max(SyncRun.id)).group_by(SyncRun.account_id)
    runs = {
        run.account_id: run
        for run in db.session.scalars(select(SyncRun).where(SyncRun.id.in_(newest)))
    }
    return [
        AccountRow(
            account=account,
            state=account_state(account, runs.get(account.id)),
            pools=pools.get(account.id, 0),
            licenses=licenses.get(account.id, 0),
            next_sync=next_daily_sync(account),
            run=runs.get(account.id),
        )
        for account in accounts
    ]


def get_account(account_id: int) -> Account:
    """The account with `account_id`, or 404."""
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    return account
