"""Synchronization runs: what each sync did, kept in the database so outcomes outlive Redis."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model, db
from mspweb.models.base import UTCDateTime, utcnow


class SyncTrigger(enum.StrEnum):
    """Why a sync ran."""

    IMPORT = "import"
    SCHEDULED = "scheduled"
    MANUAL = "manual"


class SyncStatus(enum.StrEnum):
    """Where a sync run stands."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_STATUSES = (SyncStatus.QUEUED.value, SyncStatus.RUNNING.value)


class SyncRun(Model):
    """One synchronization of one account (R13, R14, R21).

    At most one run per account is queued or running at a time (a partial unique index), and
    at most one scheduled run per account per day (`scheduled_for`).
    """

    __tablename__ = "sync_run"
    __table_args__ = (
        Index(
            "uq_sync_run_one_active",
            "account_id",
            unique=True,
            sqlite_where=db.text("status IN ('queued', 'running')"),
            postgresql_where=db.text("status IN ('queued', 'running')"),
        ),
        UniqueConstraint("account_id", "scheduled_for"),
        Index("ix_sync_run_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.QUEUED.value)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    job_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phase: Mapped[str | None] = mapped_column(String(64))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    companies_seen: Mapped[int] = mapped_column(Integer, default=0)
    companies_added: Mapped[int] = mapped_column(Integer, default=0)
    companies_renamed: Mapped[int] = mapped_column(Integer, default=0)
    companies_unlinked: Mapped[int] = mapped_column(Integer, default=0)
    licenses_seen: Mapped[int] = mapped_column(Integer, default=0)
    licenses_added: Mapped[int] = mapped_column(Integer, default=0)
    licenses_changed: Mapped[int] = mapped_column(Integer, default=0)
    licenses_removed: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    portal_calls: Mapped[int] = mapped_column(Integer, default=0)
    portal_retries: Mapped[int] = mapped_column(Integer, default=0)
    portal_wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)

    account = relationship("Account")

    @property
    def is_active(self) -> bool:
        """True while the run is queued or running."""
        return self.status in ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        """How long the run took (or has taken so far), in seconds."""
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()
