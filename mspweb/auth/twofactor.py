"""Two-factor sign-in with TOTP (RFC 6238, pyotp) and ten one-time recovery codes.

A user turns it on from /account/two-factor; an administrator can require it for all staff
(`SecurityPolicy.require_staff_two_factor`), and then a staff user without it can do nothing
but enrol. A code is accepted once (the time step is remembered) within one step of clock drift.

For actions that need a *fresh* second factor (creating an API token), views call
`has_fresh_second_factor()` or use the `fresh_second_factor_required` decorator: the user must
have entered a code within `FRESH_SECONDS` in this session, else they are sent to confirm one.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

import pyotp
import segno
from flask import flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import delete, select

from mspweb.crypto import decrypt_secret, encrypt_secret
from mspweb.extensions import db
from mspweb.models import RecoveryCode, SecurityPolicy, TwoFactor
from mspweb.models.base import utcnow

ISSUER = "mspweb"
RECOVERY_CODES = 10
FRESH_SECONDS = 5 * 60
FRESH_KEY = "second_factor_at"
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def new_secret() -> str:
    """A new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The QR code of `uri` as an SVG image (made here: no third-party service sees it)."""
    return segno.make(uri, error="m").svg_inline(scale=5).encode()


def enrolment(user_id: int) -> TwoFactor | None:
    """The user's TOTP enrolment, or None when two-factor sign-in is off for them."""
    return db.session.get(TwoFactor, user_id)


def staff_must_use_two_factor() -> bool:
    """True when an administrator requires two-factor sign-in for all staff."""
    policy = db.session.get(SecurityPolicy, 1)
    return bool(policy and policy.require_staff_two_factor)


def set_staff_requirement(required: bool) -> None:
    """Require (or stop requiring) two-factor sign-in for administrators and operators."""
    policy = db.session.get(SecurityPolicy, 1) or SecurityPolicy(id=1)
    policy.require_staff_two_factor = required
    policy.updated_at = utcnow()
    db.session.add(policy)


def code_matches(secret: str, code: str) -> int | None:
    """The time step `code` is valid for (one step of drift either way), else None."""
    code = "".join(char for char in code if char.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for drift in (0, -1, 1):
        counter = totp.timecode(now + drift * totp.interval)
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def verify_second_factor(user_id: int, code: str) -> bool:
    """Check a TOTP code (each accepted once) or an unused recovery code (then spent)."""
    record = enrolment(user_id)
    if record is None or not code:
        return False
    counter = code_matches(decrypt_secret(record.secret_encrypted), code)
    if counter is not None:
        if counter <= record.last_counter:
            return False  # already used: a replayed code
        record.last_counter = counter
        db.session.commit()
        return True
    digest = _hash_code(code)
    spare = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
    )
    if spare is None:
        return False
    spare.used_at = utcnow()
    db.session.commit()
    return True


def enable(user_id: int, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on when `code` proves the app holds `secret`; returns recovery codes."""
    counter = code_matches(secret, code)
    if counter is None:
        return None
    record = enrolment(user_id) or TwoFactor(user_id=user_id)
    record.secret_encrypted = encrypt_secret(secret)
    record.last_counter = counter
    record.enabled_at = utcnow()
    db.session.add(record)
    return new_recovery_codes(user_id)


def disable(user_id: int) -> None:
    """Turn two-factor sign-in off for the user (their recovery codes go too)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))


def new_recovery_codes(user_id: int) -> list[str]:
    """Replace the user's recovery codes by ten new ones; only their hashes are stored."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash_code(code)) for code in codes)
    return codes


def unused_recovery_codes(user_id: int) -> int:
    """How many of the user's recovery codes are left."""
    rows = db.session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))


def _new_code() -> str:
    """A recovery code: 12 characters (~59 bits) shown as xxxx-xxxx-xxxx."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _hash_code(code: str) -> str:
    normalised = "".join(char for char in code.lower() if char.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def mark_fresh() -> None:
    """Note in the session that the user has just proved their second factor."""
    session[FRESH_KEY] = time.time()


def has_fresh_second_factor(max_age: int = FRESH_SECONDS) -> bool:
    """True when the signed-in user entered a second factor in this session within `max_age`
    seconds (users without two-factor sign-in never have one)."""
    if not current_user.is_authenticated or enrolment(int(current_user.get_id())) is None:
        return False
    proved = session.get(FRESH_KEY)
    return proved is not None and time.time() - float(proved) <= max_age


def fresh_second_factor_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view that needs a fresh second factor: otherwise the user confirms a code
    first (or turns two-factor sign-in on), then comes back to this page."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if has_fresh_second_factor():
            return view(*args, **kwargs)
        if not current_user.is_authenticated:
            from mspweb.extensions import login_manager

            return login_manager.unauthorized()
        back = request.full_path if request.method == "GET" else request.referrer or "/"
        if enrolment(int(current_user.get_id())) is None:
            flash("Turn on two-factor sign-in first: this action needs it.", "info")
            return redirect(url_for("account.two_factor"))
        return redirect(url_for("account.confirm_two_factor", next=back))

    return guarded
