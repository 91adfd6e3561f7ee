"""Checking a sign-in: the same work whether or not the e-mail exists, and short transactions.

`authenticate` reads the account, ends that read, then runs the password hash outside any
transaction (a hash takes ~100 ms: holding SQLite's lock through it made concurrent sign-ins
fail). For an unknown e-mail it verifies against a dummy hash, so a wrong password costs the
same time either way (no user enumeration by timing). `record_sign_in` then writes the sign-in
time in a short transaction that waits for SQLite's write lock instead of failing.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import User
from mspweb.models.base import utcnow

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, made once per process with the users' parameters."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(email: str, password: str) -> int | None:
    """The id of the active user with `email` and `password`, else None (same cost either way)."""
    row = db.session.execute(
        select(User.id, User.password_hash, User.active).where(func.lower(User.email) == email)
    ).first()
    db.session.commit()  # end the read: the hash below runs outside any transaction
    if row is None:
        _verify(_dummy_hash(), password)
        return None
    if not _verify(row.password_hash, password) or not row.active:
        return None
    return int(row.id)


def record_sign_in(user_id: int) -> User:
    """Write the user's sign-in time in a short transaction that waits for the write lock."""
    db.session.commit()  # end any read since: the write's transaction must begin IMMEDIATE
    db.session.connection(execution_options={"sqlite_immediate": True})
    user = db.session.get(User, user_id)
    assert user is not None
    user.last_login_at = utcnow()
    db.session.commit()
    return user
