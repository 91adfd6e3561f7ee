"""Encryption at rest for portal passwords (Fernet; keys from the environment or instance/).

`MSPWEB_FERNET_KEYS` holds one or more comma-separated keys, newest first: the newest encrypts,
all of them decrypt, so a key can be rotated without downtime (`flask accounts rotate-key`).
Without it, a key is generated once into `instance/fernet.key` (mode 0600).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from config import instance_secret


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys."""


def _keys() -> list[str]:
    configured = current_app.config.get("FERNET_KEYS")
    if configured:
        return [key.strip() for key in configured.split(",") if key.strip()]
    return [instance_secret("fernet.key", lambda: Fernet.generate_key().decode())]


def _box() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in _keys()])


def encrypt_secret(plaintext: str) -> bytes:
    """Encrypt `plaintext` with the newest key."""
    return _box().encrypt(plaintext.encode("utf-8"))


def decrypt_secret(token: bytes) -> str:
    """Decrypt a stored secret with any configured key."""
    try:
        return _box().decrypt(bytes(token)).decode("utf-8")
    except InvalidToken:
        raise SecretUnreadable(
            "A stored portal password cannot be decrypted: the encryption key changed. "
            "Restore the old key in MSPWEB_FERNET_KEYS (after the new one) and run "
            "`flask accounts rotate-key`."
        ) from None


def rotate_secret(token: bytes) -> bytes:
    """Re-encrypt a stored secret with the newest key."""
    try:
        return _box().rotate(bytes(token))
    except InvalidToken:
        raise SecretUnreadable(
            "A stored portal password cannot be decrypted with any key."
        ) from None
