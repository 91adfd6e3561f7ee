"""An imported portal account: its credentials (encrypted) and its synchronization state."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow


class AccountKind(enum.StrEnum):
    """Which portals the account's credentials open (R03: both is a mixed account)."""

    MSP = "msp"
    BUSINESS = "business"
    MIXED = "mixed"


class AccountState(enum.StrEnum):
    """Active accounts are synchronized daily; disconnected ones had their pools removed (R11)."""

    ACTIVE = "active"
    DISCONNECTED = "disconnected"


def account_identity(username: str, msp_url: str | None, business_url: str | None) -> str:
    """The key that makes an account unique: the same login on the same portals is one account."""
    msp = (msp_url or "").strip().rstrip("/").lower()
    business = (business_url or "").strip().rstrip("/").lower()
    return f"{username.strip().lower()}|{msp}|{business}"


class Account(Model):
    """A portal account imported into the console."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    identity: Mapped[str] = mapped_column(String(1024), unique=True)
    msp_url: Mapped[str | None] = mapped_column(String(1024))
    business_url: Mapped[str | None] = mapped_column(String(1024))
    username: Mapped[str] = mapped_column(String(254))
    password_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(16), default=AccountKind.MSP.value)
    state: Mapped[str] = mapped_column(String(16), default=AccountState.ACTIVE.value)
    root_company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL", use_alter=True)
    )
    business_company_portal_id: Mapped[str | None] = mapped_column(String(64))
    skip_setup_for_new: Mapped[bool] = mapped_column(Boolean, default=False)
    max_calls_per_second: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL", use_alter=True)
    )
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_status: Mapped[str | None] = mapped_column(String(16))
    last_sync_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credentials_valid: Mapped[bool] = mapped_column(Boolean, default=True)

    root_company = relationship("Company", foreign_keys=[root_company_id], post_update=True)

    @property
    def is_active(self) -> bool:
        """True while the account is synchronized (its pools have not been removed)."""
        return self.state == AccountState.ACTIVE

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.username} {self.kind}>"
