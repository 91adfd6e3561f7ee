"""API tokens: create (shown once), authenticate a bearer token, revoke; each step audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from mspweb import audit
from mspweb.database import begin_write
from mspweb.extensions import db
from mspweb.models import ApiToken, User
from mspweb.models.base import utcnow

#: Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "mspw_"

#: Longest token name.
MAX_NAME_LENGTH = 100

#: Longest expiry a token may be given, in days.
MAX_EXPIRY_DAYS = 3650


class TokenRefused(ValueError):
    """A token cannot be created as asked (a bad name, a duplicate, write for a customer)."""


@dataclass(frozen=True)
class NewToken:
    """A token just created: the row, and the secret shown once."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    user: User, name: str, *, can_write: bool = False, expires_days: int | None = None
) -> NewToken:
    """Create a token for `user` and audit it (the caller commits).

    Read-write tokens are for administrators and operators only; customer users get
    read-only tokens (their pages change nothing an integration needs).
    """
    name = (name or "").strip()
    if not name:
        raise TokenRefused("Give the token a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenRefused(f"A token name has at most {MAX_NAME_LENGTH} characters.")
    if can_write and user.is_customer:
        raise TokenRefused("Customer users can only have read-only tokens.")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenRefused(f"The expiry is between 1 and {MAX_EXPIRY_DAYS} days.")
    taken = db.session.scalar(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.name == name)
    )
    if taken is not None:
        raise TokenRefused(f"{user.email} already has a token named “{name}”.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        can_write=can_write,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "token.create",
        f"token {name} of {user.email}",
        details={"token_id": token.id, "write": can_write, "expires_days": expires_days},
        user=user,
    )
    return NewToken(token, secret)


def authenticate(secret: str) -> ApiToken | None:
    """The live token for `secret` (its user active, not expired), or None.

    The first use is audited; `last_used_at` is written at most once a minute per token.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.is_expired() or not token.user.is_active:
        return None
    now = utcnow()
    last_used = token.last_used_at
    if last_used is None or now - last_used > timedelta(minutes=1):
        # a GET writes here: take SQLite's lock before (finding 9)
        begin_write(db.session, keep_pending=True)
        first_use = token.last_used_at is None  # read again, under the lock
        token.last_used_at = now
        if first_use:
            audit.record(
                "token.first_use",
                f"token {token.name} of {token.user.email}",
                details={"token_id": token.id},
                user=token.user,
            )
        db.session.commit()
    return token


def revoke_token(token: ApiToken, by: User | None) -> None:
    """Delete `token` and audit who revoked it (the caller commits)."""
    owner = token.user
    audit.record(
        "token.revoke",
        f"token {token.name} of {owner.email}",
        details={"token_id": token.id, "owner": owner.email},
        user=by,
    )
    db.session.delete(token)


def tokens_of(user: User | None) -> list[ApiToken]:
    """The tokens of `user`, or everyone's (None: an administrator's view), newest first."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def find_token(user: User, name: str) -> ApiToken | None:
    """The token of `user` named `name`, if any."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name.strip())
    )
