"""`flask accounts ...`: import, list, show, synchronize accounts, remove pools, rotate the key."""

from __future__ import annotations

import json
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Account, Company, License, LicensePool, SyncRun, SyncStatus

accounts_cli = AppGroup("accounts", help="Import and synchronize portal accounts.")


def _account(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.ClickException(f"There is no account {account_id}.")
    return account


@accounts_cli.command("import")
@click.option("--portal-url", help="Base URL of the MSP portal's API.")
@click.option("--business-url", help="Base URL of the business portal's API.")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--no-sync", is_flag=True, help="Do not queue the first synchronization.")
def import_command(
    portal_url: str | None, business_url: str | None, username: str, password: str, no_sync: bool
) -> None:
    """Import an account (at least one URL); the last line printed is the new account's id."""
    from mspweb.accounts.service import ImportRefused, import_account

    try:
        account, run = import_account(
            portal_url, business_url, username, password, enqueue_sync=not no_sync
        )
    except ImportRefused as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(f"Imported {account.kind} account {account.name!r}.")
    if run is not None:
        click.echo(f"First synchronization queued (run {run.id}).")
    click.echo(account.id)


@accounts_cli.command("list")
def list_command() -> None:
    """List the accounts: id, name, kind, state, last sync."""
    for account in db.session.scalars(select(Account).order_by(Account.id)):
        last = account.last_sync_at.strftime("%Y-%m-%d %H:%M") if account.last_sync_at else "-"
        click.echo(
            f"{account.id}\t{account.name}\t{account.kind}\t{account.state}\t"
            f"{account.last_sync_status or 'never'}\t{last}"
        )


def account_summary(account: Account) -> dict:
    """The account as `accounts show --json` prints it."""
    companies = db.session.scalars(
        select(Company).where(Company.account_id == account.id).order_by(Company.id)
    ).all()
    portal_ids: dict[int | None, str] = {company.id: company.portal_id for company in companies}
    pools = db.session.scalar(
        select(func.count(LicensePool.id)).where(LicensePool.account_id == account.id)
    )
    licenses = db.session.scalar(
        select(func.count(License.id)).where(License.account_id == account.id)
    )
    return {
        "id": account.id,
        "name": account.name,
        "kind": account.kind,
        "state": account.state,
        "username": account.username,
        "msp_url": account.msp_url,
        "business_url": account.business_url,
        "credentials_valid": account.credentials_valid,
        "last_sync_status": account.last_sync_status,
        "last_sync_error": account.last_sync_error,
        "last_sync_at": account.last_sync_at.isoformat() if account.last_sync_at else None,
        "pools": pools,
        "licenses": licenses,
        "companies": [
            {
                "id": company.id,
                "portal_id": company.portal_id,
                "name": company.name,
                "type": company.entity_type,
                "source": company.source,
                "parent_portal_id": portal_ids.get(company.parent_id),
                "customer_status": company.customer_status.value,
                "in_license_tree": company.in_license_tree,
                "unlinked": company.unlinked_at is not None,
            }
            for company in companies
        ],
    }


@accounts_cli.command("show")
@click.argument("account_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def show_command(account_id: int, as_json: bool) -> None:
    """Show an account with its companies."""
    summary = account_summary(_account(account_id))
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    for key in (
        "id",
        "name",
        "kind",
        "state",
        "last_sync_status",
        "last_sync_error",
        "pools",
        "licenses",
    ):
        click.echo(f"{key}: {summary[key]}")
    for company in summary["companies"]:
        tree = "licenses" if company["in_license_tree"] else "-"
        click.echo(
            f"  {company['portal_id']}\t{company['name']}\t{company['type']}\t"
            f"{company['customer_status']}\t{tree}"
        )


def _describe_run(run: SyncRun) -> str:
    if run.status == SyncStatus.SUCCEEDED:
        return (
            f"Run {run.id} succeeded: {run.companies_added} companies added, "
            f"{run.companies_renamed} renamed, {run.companies_unlinked} unlinked; "
            f"{run.licenses_added} licenses added, {run.licenses_changed} changed, "
            f"{run.licenses_removed} removed; {run.rows_written} rows written, "
            f"{run.portal_calls} portal calls."
        )
    if run.status == SyncStatus.FAILED:
        return f"Run {run.id} failed: {run.error}"
    return f"Run {run.id} is {run.status}."


@accounts_cli.command("sync")
@click.argument("account_id", type=int)
@click.option("--wait", is_flag=True, help="Queue the sync and wait until a worker ran it.")
@click.option(
    "--inline",
    is_flag=True,
    help="Run the sync in this process (taking over a queued run of the account).",
)
@click.option(
    "--timeout", type=int, default=3600, show_default=True, help="Seconds --wait waits at most."
)
def sync_command(account_id: int, wait: bool, inline: bool, timeout: int) -> None:
    """Synchronize an account: queue it (default), wait for it, or run it here."""
    from mspweb.sync.lifecycle import SyncRefused
    from mspweb.sync.queueing import request_sync
    from mspweb.sync.runner import run_inline

    if wait and inline:
        raise click.UsageError("Use either --wait or --inline.")
    account = _account(account_id)
    try:
        if inline:
            outcome = run_inline(account)
            run = db.session.get_one(SyncRun, outcome["run_id"])
            db.session.refresh(run)
        else:
            run = request_sync(account)
    except SyncRefused as refusal:
        raise click.ClickException(refusal.message) from None
    if not inline and not wait:
        click.echo(f"Run {run.id} is {run.status}.")
        return
    deadline = time.monotonic() + timeout
    while run.is_active and time.monotonic() < deadline:
        time.sleep(0.5)
        db.session.commit()  # a fresh transaction sees the worker's progress
        run = db.session.get_one(SyncRun, run.id)
    click.echo(_describe_run(run))
    click.echo(run_outcome_line(run))
    if run.status != SyncStatus.SUCCEEDED:
        raise SystemExit(1)


def run_outcome_line(run: SyncRun) -> str:
    """The last line of `accounts sync --inline/--wait`: `run <id> succeeded`, or
    `run <id> failed: <why>` (any other state is named as it is)."""
    if run.status == SyncStatus.SUCCEEDED:
        return f"run {run.id} succeeded"
    if run.status == SyncStatus.FAILED:
        return f"run {run.id} failed: {run.error or 'no reason was recorded'}"
    return f"run {run.id} failed: it is still {run.status}"


@accounts_cli.command("changes")
@click.argument("account_id", type=int)
@click.option("--run", "run_id", type=int, help="Only the changes of this sync run.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, oldest first.")
def changes_command(account_id: int, run_id: int | None, as_json: bool) -> None:
    """What the account's synchronizations changed, row by row (a failed run has none)."""
    from mspweb.changelog.records import account_changes_query
    from mspweb.changelog.records import as_json as record_json

    _account(account_id)
    if run_id is not None:
        run = db.session.get(SyncRun, run_id)
        if run is None or run.account_id != account_id:
            raise click.ClickException(f"Account {account_id} has no sync run {run_id}.")
    records = [
        record_json(r) for r in db.session.scalars(account_changes_query(account_id, run_id))
    ]
    if as_json:
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    for item in records:
        subject = item["license"] or item["company"] or "-"
        what = f" {item['field']}: {item['old']!r} -> {item['new']!r}" if item["field"] else ""
        click.echo(f"{item['at']}\trun {item['run']}\t{item['kind']}\t{subject}{what}")


@accounts_cli.command("remove-pools")
@click.argument("account_id", type=int)
@click.option("--yes", is_flag=True, help="Confirm without asking.")
def remove_pools_command(account_id: int, yes: bool) -> None:
    """Remove every license pool of the account and their licenses (R11); disconnects it."""
    from mspweb.accounts.pools import pool_removal_preview, remove_pools
    from mspweb.sync.lifecycle import SyncRefused

    account = _account(account_id)
    pools, licenses = pool_removal_preview(account)
    if not yes:
        click.confirm(
            f"Remove {pools} pools and {licenses} licenses of {account.name}?", abort=True
        )
    try:
        result = remove_pools(account_id)
    except SyncRefused as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(
        f"Removed {result.pools} pools and {result.licenses} licenses; "
        f"account {account_id} is disconnected."
    )


@accounts_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt every stored portal password with the newest key.

    To rotate: generate a key (python -c "from cryptography.fernet import Fernet;
    print(Fernet.generate_key().decode())"), put it first in MSPWEB_FERNET_KEYS with the old
    key(s) after it (comma-separated), run this command, then drop the old keys. Without
    MSPWEB_FERNET_KEYS the key in instance/fernet.key is used.
    """
    from mspweb.crypto import SecretUnreadable, rotate_secret

    rotated = 0
    try:
        for account in db.session.scalars(select(Account).order_by(Account.id)):
            account.password_encrypted = rotate_secret(account.password_encrypted)
            rotated += 1
    except SecretUnreadable as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    keys = current_app.config.get("FERNET_KEYS") or "instance/fernet.key"
    source = "MSPWEB_FERNET_KEYS" if keys != "instance/fernet.key" else keys
    click.echo(f"Re-encrypted {rotated} stored passwords with the newest key of {source}.")
