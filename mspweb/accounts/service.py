"""Importing a portal account (R01, R02, R03), used by the accounts page and the CLI.

`import_account` logs in to the portals it is given, checks that the account may be imported,
saves it (password encrypted) with its root company, and queues its first sync. A refusal
raises :class:`ImportRefused` with a message a person can act on and saves nothing but the
audit entry.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mspweb import audit
from mspweb.crypto import encrypt_secret
from mspweb.extensions import db
from mspweb.models import (
    Account,
    AccountKind,
    AccountState,
    Company,
    EntityType,
    SetupState,
    SyncRun,
    SyncTrigger,
    User,
)
from mspweb.models.accounts import account_identity
from mspweb.models.base import utcnow
from mspweb.models.companies import IMPORTABLE_TYPES, PARENT_TYPES
from mspweb.portal import (
    BusinessPortalClient,
    CurrentUser,
    MspPortalClient,
    PortalAuthError,
    PortalError,
    PortalUnavailable,
)
from mspweb.portal_config import client_settings
from mspweb.sync.queueing import request_sync

READABLE = ("Read", "Write")

#: Companies looked at, at most, when searching the tree for one the account can read (R02).
MAX_READ_PROBE = 5000


class ImportRefused(Exception):
    """An account cannot be imported; `message` says why, `reason` says which case.

    Reasons: "distributor_or_other_type" (R01), "no_read_permission" (R02),
    "bad_credentials", "unreachable", "duplicate", "invalid_input".
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def _check_url(url: str | None, label: str) -> str | None:
    url = (url or "").strip() or None
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImportRefused(
            f"The {label} URL must start with https:// (or http://), not {url!r}.", "invalid_input"
        )
    return url.rstrip("/")


def _login(client, label: str) -> bool:
    """Log in; False if the credentials are refused, ImportRefused if unreachable."""
    try:
        client.login()
        return True
    except PortalAuthError:
        return False
    except PortalUnavailable as error:
        raise ImportRefused(
            f"The {label} could not be reached: {error}. Check the URL and try again.",
            "unreachable",
        ) from None
    except PortalError as error:
        raise ImportRefused(
            f"The {label} did not answer as a license portal: {error}. Check the URL.",
            "unreachable",
        ) from None


def _has_read_permission(client: MspPortalClient, root_id: str) -> bool:
    """R02: the account reads its root or, else, at least one company in its tree."""
    if client.company_detail(root_id).access in READABLE:
        return True
    waiting, looked_at = deque([root_id]), 0
    while waiting and looked_at < MAX_READ_PROBE:
        for child in client.company_children(waiting.popleft()):
            looked_at += 1
            if child.access in READABLE:
                return True
            if child.type in PARENT_TYPES:
                waiting.append(child.public_id)
    return False


def _check_msp(client: MspPortalClient) -> CurrentUser:
    """The account's user and root after the R01 and R02 checks."""
    user = client.current_user()
    if user.company_type not in IMPORTABLE_TYPES:
        try:
            type_name = EntityType(user.company_type or 0).label
        except ValueError:
            type_name = f"type {user.company_type}"
        article = "an" if type_name[0] in "AEIOU" else "a"
        raise ImportRefused(
            f"{user.company_name} is {article} {type_name} account. Only MSP, Managed MSP and "
            "MSP Manager accounts can be imported.",
            "distributor_or_other_type",
        )
    if not _has_read_permission(client, user.company_id):
        raise ImportRefused(
            f"The account {user.email} has no read permission to any company of "
            f"{user.company_name}. Give it at least read access to one company (its own or a "
            "customer) in the portal, then import it again.",
            "no_read_permission",
        )
    return user


def import_account(
    portal_url: str | None,
    business_url: str | None,
    username: str,
    password: str,
    *,
    requested_by: User | None = None,
    enqueue_sync: bool = True,
) -> tuple[Account, SyncRun | None]:
    """Import an account from the MSP portal and/or the business portal (R01, R02, R03).

    Valid credentials on either portal suffice; on both, the account is mixed. Returns the
    saved account and its first sync run (None with `enqueue_sync=False`).
    """
    username = (username or "").strip()
    target = f"{username} at {portal_url or '-'} / {business_url or '-'}"
    try:
        account = _import(portal_url, business_url, username, password, requested_by)
    except ImportRefused as refusal:
        db.session.rollback()
        audit.record_now(
            "account.import",
            target,
            "refused",
            {"reason": refusal.reason, "message": refusal.message},
            user=requested_by,
        )
        raise
    audit.record_now(
        "account.import",
        f"account {account.id} {account.name}",
        details={
            "kind": account.kind,
            "msp_url": account.msp_url,
            "business_url": account.business_url,
            "username": username,
        },
        user=requested_by,
    )
    run = request_sync(account, SyncTrigger.IMPORT.value, requested_by) if enqueue_sync else None
    return account, run


def _import(portal_url, business_url, username, password, requested_by) -> Account:
    msp_url = _check_url(portal_url, "MSP portal")
    business_url = _check_url(business_url, "business portal")
    if not msp_url and not business_url:
        raise ImportRefused(
            "Give the MSP portal URL, the business portal URL, or both.", "invalid_input"
        )
    if not username or not password:
        raise ImportRefused("Give the account's username and password.", "invalid_input")
    identity = account_identity(username, msp_url, business_url)
    if db.session.scalar(select(Account.id).where(Account.identity == identity)):
        raise ImportRefused(
            f"The account {username} on these portals has already been imported.", "duplicate"
        )
    db.session.commit()  # end the read: the portal calls below run outside any transaction
    settings = replace(client_settings(None), max_attempts=2, max_total_wait=10.0)
    msp_user = business_user = None
    msp_ok = business_ok = False
    msp_client = MspPortalClient(msp_url, username, password, settings) if msp_url else None
    business_client = (
        BusinessPortalClient(business_url, username, password, settings) if business_url else None
    )
    try:
        if msp_client:
            msp_ok = _login(msp_client, "MSP portal")
        if business_client:
            business_ok = _login(business_client, "business portal")
        if not msp_ok and not business_ok:
            raise ImportRefused(
                "The portal rejected the username or password. Check them and try again.",
                "bad_credentials",
            )
        if msp_client and msp_ok:
            msp_user = _check_msp(msp_client)
        if business_client and business_ok:
            business_user = business_client.current_user()
    except PortalError as error:
        raise ImportRefused(
            f"The portal failed while the account was being checked: {error}", "unreachable"
        ) from None
    finally:
        for client in (msp_client, business_client):
            if client is not None:
                client.close()
    return _save(
        msp_url if msp_ok else None,
        business_url if business_ok else None,
        username,
        password,
        msp_user,
        business_user,
        requested_by,
    )


def _save(
    msp_url, business_url, username, password, msp_user, business_user, requested_by
) -> Account:
    identity = account_identity(username, msp_url, business_url)
    duplicate = ImportRefused(
        f"The account {username} on these portals has already been imported.", "duplicate"
    )
    if db.session.scalar(select(Account.id).where(Account.identity == identity)):
        raise duplicate
    kind = (
        AccountKind.MIXED
        if msp_user and business_user
        else AccountKind.MSP
        if msp_user
        else AccountKind.BUSINESS
    )
    owner = msp_user or business_user
    account = Account(
        name=owner.company_name,
        identity=identity,
        msp_url=msp_url,
        business_url=business_url,
        username=username,
        password_encrypted=encrypt_secret(password),
        kind=kind.value,
        state=AccountState.ACTIVE.value,
        created_by_id=requested_by.id if requested_by else None,
        business_company_portal_id=business_user.company_id if business_user else None,
        credentials_valid=True,
        skip_setup_for_new=False,
    )
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise duplicate from None
    root = Company(
        account_id=account.id,
        source="msp" if msp_user else "business",
        portal_id=owner.company_id,
        name=owner.company_name,
        entity_type=owner.company_type,
        setup_state=SetupState.NOT_SET_UP.value,
        first_seen_at=utcnow(),
    )
    db.session.add(root)
    db.session.flush()
    account.root_company_id = root.id
    db.session.commit()
    return account
