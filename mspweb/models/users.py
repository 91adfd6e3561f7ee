"""People who sign in to the console: administrators, operators and customer users."""

from __future__ import annotations

import enum
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow

_hasher = PasswordHasher()


class Role(enum.StrEnum):
    """What a user may see: everything, one subtree, or one customer."""

    ADMIN = "admin"
    OPERATOR = "operator"
    CUSTOMER = "customer"


class User(UserMixin, Model):
    """A console login. Operators and customers are confined to `company` (R12)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.ADMIN.value)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company = relationship("Company", foreign_keys=[company_id])

    def set_password(self, password: str) -> None:
        """Store an argon2 hash of `password`."""
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """True when `password` matches the stored hash."""
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        """True for administrators, who see and manage everything."""
        return self.role == Role.ADMIN

    @property
    def is_customer(self) -> bool:
        """True for customer users, who see one customer's licenses only."""
        return self.role == Role.CUSTOMER

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
