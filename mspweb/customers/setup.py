"""Customer setup (R17): the customer's login, its group in the Computers tree, its scope (R12).

Setting up a customer, in one transaction:

1. creates its user login (role customer, a password chosen by the administrator or generated
   and shown once), or links an existing login (see `linkable_user` for which ones);
2. gives the customer its group in the Computers tree (`Company.group_name`, by default
   "Customers / <name>");
3. confines the user to that company (`User.company_id`): from then on every query helper
   returns that company's pools and licenses only (`mspweb.scope`);
4. marks the customer set up (R15) and audits "customer.setup".

An unlinked customer (removed in the portal, or its account's pools removed) cannot be set up:
`SetupRefused` says why. Nothing here commits; nothing here checks who is asking (the views do).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from mspweb.audit import record
from mspweb.extensions import db
from mspweb.models import Company, Role, SetupState, User
from mspweb.models.base import utcnow
from mspweb.users.service import MIN_PASSWORD_LENGTH, UserError, create_user, normalise_email

#: The folder of the Computers tree that customers' groups live in.
GROUP_FOLDER = "Customers"

#: Bytes of randomness in a generated password (16 URL-safe characters).
GENERATED_PASSWORD_BYTES = 12


class SetupMode(enum.StrEnum):
    """How the customer gets its login."""

    CREATE = "create"
    LINK = "link"


class SetupRefused(Exception):
    """The customer cannot be set up at all (unlinked, already set up); `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SetupError(ValueError):
    """The setup form asks for something that cannot be done; `field` names the form field."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SetupResult:
    """What a setup did, for the summary page (the generated password is shown there once)."""

    company: Company
    user: User
    created: bool
    group_name: str
    generated_password: str | None = None
    #: When the linked login came from another (unlinked) customer: that customer's name.
    moved_from: str | None = None


def default_group_name(company: Company) -> str:
    """The customer's group in the Computers tree: "Customers / <name>"."""
    return f"{GROUP_FOLDER} / {company.name}"


def generate_password() -> str:
    """A random password of 16 URL-safe characters."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def check_can_set_up(company: Company) -> None:
    """Raise `SetupRefused` when `company` cannot be set up (unlinked, or already set up).

    A customer whose setup was skipped can still be set up later: it then gets its login.
    """
    if company.is_unlinked:
        raise SetupRefused(
            f"{company.name} is unlinked: it was removed in the license portal or its account's "
            "pools were removed, so it is no longer managed here and cannot be set up."
        )
    if company.setup_state == SetupState.SET_UP:
        raise SetupRefused(f"{company.name} is already set up.")


def linkable_user(email: str, company: Company) -> User:
    """The existing login with `email` that may be confined to `company`, or `SetupError`.

    The rule: only a customer login that is not confined to another managed customer, that is
    one confined to no company, to this customer already (created from the command line, say),
    or to a customer that is unlinked (no longer managed: its people move to the new company).
    Administrators and operators are never linked: that would silently take their access away.
    A customer login of another managed customer is refused too: moving it would lock that
    customer's people out.
    """
    try:
        address = normalise_email(email)
    except UserError as error:
        raise SetupError(str(error)) from None
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None:
        raise SetupError(
            f"There is no login with the email {address}. Choose “Create a new "
            "login” to create one."
        )
    if user.role != Role.CUSTOMER:
        raise SetupError(
            f"{address} is an {'administrator' if user.is_admin else 'operator'} "
            "login: staff logins cannot be confined to a customer."
        )
    current = user.company
    if current is not None and current.id != company.id and not current.is_unlinked:
        raise SetupError(
            f"{address} already signs in for another managed customer "
            f"({current.name}); a login belongs to one customer only."
        )
    return user


def set_up_customer(
    company: Company,
    mode: str,
    email: str,
    password: str | None,
    group_name: str | None,
    by: User | None,
) -> SetupResult:
    """Set `company` up (see the module docstring); the caller commits.

    `password` is used when creating a login; empty, one is generated and returned once.
    Raises `SetupRefused` or `SetupError`.
    """
    check_can_set_up(company)
    group = (
        " ".join((group_name or "").split()) or company.group_name or default_group_name(company)
    )
    generated = None
    moved_from = None
    if mode == SetupMode.LINK:
        user = linkable_user(email, company)
        if user.company is not None and user.company.id != company.id:
            moved_from = user.company.name
        user.role = Role.CUSTOMER.value
        user.company = company
        created = False
    elif mode == SetupMode.CREATE:
        if not password:
            password = generated = generate_password()
        if len(password) < MIN_PASSWORD_LENGTH:
            raise SetupError(
                f"The password must have at least {MIN_PASSWORD_LENGTH} characters "
                "(or leave it empty to have one generated).",
                "password",
            )
        try:
            user = create_user(email, password, Role.CUSTOMER.value, company)
        except UserError as error:
            hint = (
                " To give that login this customer, choose “Link an existing login”."
                if "already exists" in str(error)
                else ""
            )
            raise SetupError(f"{error}{hint}", "email") from None
        created = True
    else:
        raise SetupError("Choose whether to create a new login or link an existing one.", "mode")
    company.group_name = group[:512]
    company.setup_state = SetupState.SET_UP.value
    company.setup_at = utcnow()
    db.session.flush()
    record(
        "customer.setup",
        company.name,
        "ok",
        {
            "company_id": company.id,
            "user": user.email,
            "login": "created" if created else "linked",
            "group": company.group_name,
            "moved_from": moved_from,
        },
        by,
    )
    return SetupResult(company, user, created, company.group_name, generated, moved_from)
