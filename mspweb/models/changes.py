"""The change log: what each synchronization changed, row by row.

A sync writes its change records in the same transaction as the changes themselves (R21: a
failed sync records nothing). The history pages, the account's Changes timeline, the
`accounts changes` command and the webhook events all read these rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow


class ChangeKind(enum.StrEnum):
    """What kind of change a record holds (the `kind` of `accounts changes --json`)."""

    COMPANY_ADDED = "company.added"
    COMPANY_RENAMED = "company.renamed"
    COMPANY_MOVED = "company.moved"
    COMPANY_UNLINKED = "company.unlinked"
    COMPANY_RELINKED = "company.relinked"
    COMPANY_STATUS = "company.status"
    LICENSE_ADDED = "license.added"
    LICENSE_REMOVED = "license.removed"
    LICENSE_CHANGED = "license.changed"
    POOL_CREATED = "pool.created"
    POOL_EMPTIED = "pool.emptied"


class ChangeRecord(Model):
    """One change a sync saw: a company, license or pool added, removed or changed.

    `company_portal_id` and `license_key` keep the portal's identities, so a record still
    names its subject after the company or license row is gone (pools removed, R11).
    `field`, `old` and `new` hold one changed value as the portal sent it (a state is its
    number, a date its ISO text); `day` is set on usage changes, of which one record per
    license and day is kept (the last value of the day).
    """

    __tablename__ = "change_record"
    __table_args__ = (
        Index("ix_change_record_account_id", "account_id", "id"),
        Index("ix_change_record_run_kind", "sync_run_id", "kind"),
        Index("ix_change_record_company_id", "company_id", "id"),
        Index("ix_change_record_license", "account_id", "license_key", "id"),
        Index("ix_change_record_created", "created_at"),
        # the Tag drift view's former names (added by migration c0ffee000011): partial, so
        # the many license records cost it nothing
        Index(
            "ix_change_record_renamed",
            "company_id",
            sqlite_where=text("kind = 'company.renamed'"),
            postgresql_where=text("kind = 'company.renamed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"))
    company_portal_id: Mapped[str | None] = mapped_column(String(64))
    license_id: Mapped[int | None] = mapped_column(ForeignKey("license.id", ondelete="SET NULL"))
    license_key: Mapped[str | None] = mapped_column(String(64))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("license_pool.id", ondelete="SET NULL"))
    field: Mapped[str | None] = mapped_column(String(32))
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    day: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company = relationship("Company")
    sync_run = relationship("SyncRun")

    def __repr__(self) -> str:
        return f"<ChangeRecord {self.id} {self.kind} {self.license_key or self.company_portal_id}>"
