"""Personal API tokens: a user's key to the JSON API, stored as a hash only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow


class ApiToken(Model):
    """One API token of one user (the token acts exactly as its user: same scope and guards).

    Only the SHA-256 of the token is kept (it is 256 random bits, so a fast hash is enough);
    `prefix` is its first characters, to recognise it in the list. Revoking deletes the row
    (the audit log keeps the record).
    """

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    def is_expired(self, now: datetime | None = None) -> bool:
        """True once the token's expiry has passed."""
        return self.expires_at is not None and self.expires_at <= (now or utcnow())

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} user {self.user_id}>"
