"""Seat usage history and the monthly billing record (issue 10: reports).

Usage is kept as one row per company, pool (business portal only), product, license type and
month, holding that month's daily figures: it is what every report reads, and a year of a
large account stays a few hundred thousand rows. Days up to `final_through` are final and are
never rewritten; later days are provisional and follow each synchronization.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow


class UsageMonth(Model):
    """One month of daily seat usage of a company's product and license type.

    `days[i]` is the seats used on day i + 1 (None: not known), `seats[i]` the seats bought
    that day where a report range ended on it (None: not known). `seat_days`, `peak`,
    `seats_end` (seats bought on the month's last day, once known) and `seats_last` (the
    latest known) are kept in step, so the billing reads no daily figures.
    """

    __tablename__ = "usage_month"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "company_id", "pool_key", "product_code", "license_type", "month"
        ),
        Index("ix_usage_month_account_month", "account_id", "month"),
        Index("ix_usage_month_company_month", "company_id", "month"),
        # The billing page reads a month's kept figures from this index alone.
        Index(
            "ix_usage_month_billing",
            "account_id",
            "month",
            "source",
            "company_id",
            "product_code",
            "license_type",
            "seat_days",
            "peak",
            "seats_end",
            "seats_last",
            "product_name",
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    #: "msp" (the portal's usage report) or "business" (recorded by each sync).
    source: Mapped[str] = mapped_column(String(16))
    #: The business-portal pool the units belong to; "" for the MSP portal's report.
    pool_key: Mapped[str] = mapped_column(String(200), default="")
    product_code: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(255))
    #: "full" or "trial".
    license_type: Mapped[str] = mapped_column(String(8))
    month: Mapped[date] = mapped_column(Date)
    days: Mapped[list] = mapped_column(JSON)
    seats: Mapped[list] = mapped_column(JSON)
    final_through: Mapped[date | None] = mapped_column(Date)
    seat_days: Mapped[int] = mapped_column(Integer, default=0)
    peak: Mapped[int] = mapped_column(Integer, default=0)
    seats_end: Mapped[int | None] = mapped_column(Integer)
    #: The latest seats bought known in the month (the provisional month's figure).
    seats_last: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company = relationship("Company")


class UsageAccountDay(Model):
    """The whole account's seats used and bought per day and product: the Usage page's
    account-wide curve, rebuilt from `usage_month` for each month a sync touches."""

    __tablename__ = "usage_account_day"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    bought: Mapped[int | None] = mapped_column(Integer)


class UsageStatus(Model):
    """How far an account's usage history goes: backfilled, final through which day, and
    the last month whose month-end seats were read."""

    __tablename__ = "usage_status"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    backfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backfilled_from: Mapped[date | None] = mapped_column(Date)
    final_through: Mapped[date | None] = mapped_column(Date)
    month_end_through: Mapped[date | None] = mapped_column(Date)


class BillingClose(Model):
    """A closed billing month: its lines are frozen as they were when it was closed."""

    __tablename__ = "billing_close"
    __table_args__ = (UniqueConstraint("account_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    closed_by: Mapped[str] = mapped_column(String(254))

    lines = relationship(
        "BillingLine", order_by="BillingLine.id", cascade="all, delete-orphan", viewonly=True
    )


class BillingLine(Model):
    """One frozen row of a closed month: a customer x product x license type."""

    __tablename__ = "billing_line"
    __table_args__ = (Index("ix_billing_line_close", "close_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(ForeignKey("billing_close.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"))
    company_portal_id: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str] = mapped_column(String(512))
    product_code: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(255))
    license_type: Mapped[str] = mapped_column(String(8))
    seat_days: Mapped[int] = mapped_column(Integer)
    peak: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)


class ReportSchedule(Model):
    """Monthly mailing of the reports of one account to a list of addresses."""

    __tablename__ = "report_schedule"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    recipients: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))


class ReportDelivery(Model):
    """One monthly delivery: at most one per account and month, whatever the schedulers."""

    __tablename__ = "report_delivery"
    __table_args__ = (UniqueConstraint("account_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
