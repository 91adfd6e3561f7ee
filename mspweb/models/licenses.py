"""Licenses, the pools that hold them (R04, R05), business-portal sites, and tags (R06, R09)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow
from mspweb.models.companies import COMPANY_NAME_LENGTH

#: The longest tag name: as long as a company name, so an imported tag holds it whole (R06).
TAG_NAME_LENGTH = COMPANY_NAME_LENGTH


class LicenseState(enum.IntEnum):
    """License states as the portal sends them."""

    ERROR = 0
    NORMAL = 1
    OBSOLETE = 2
    SUSPENDED = 3
    WARNING = 4


class Site(Model):
    """A site of a business-portal company; each site that holds units has its own pool (R05)."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("account_id", "portal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    portal_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    parent_portal_id: Mapped[str | None] = mapped_column(String(64))

    company = relationship("Company")


class LicensePool(Model):
    """A pool of licenses: one per company (MSP portal, R04), one per site (business portal, R05).

    `key` names the pool within its account: ``msp:<company portal id>`` or
    ``business:<company portal id>:<site portal id or "-" for company level>``.
    """

    __tablename__ = "license_pool"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company = relationship("Company")
    site = relationship("Site")


class License(Model):
    """A license, identified by its public key (unique across both portals)."""

    __tablename__ = "license"
    __table_args__ = (
        UniqueConstraint("account_id", "public_key"),
        Index("ix_license_company", "company_id"),
        # The License Management table sorts by key and by product through these (50,000 rows).
        Index("ix_license_public_key", "public_key"),
        Index("ix_license_product_name", "product_name", "public_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str] = mapped_column(String(64), index=True)
    product_name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    usage: Mapped[int] = mapped_column(Integer)
    state: Mapped[int] = mapped_column(Integer, default=LicenseState.NORMAL)
    trial: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_expiration: Mapped[date | None] = mapped_column(Date)
    expiration: Mapped[date | None] = mapped_column(Date)
    portal_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Fingerprint of what the portal said at the last sync (fields, company, units per site):
    #: a sync loads and compares only the licenses whose fingerprint changed.
    portal_digest: Mapped[str | None] = mapped_column(String(16))
    #: Bumped by every tag edit: concurrent editors of one license are told of a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)

    company = relationship("Company")
    tags = relationship("Tag", secondary="license_tag", order_by="Tag.name", viewonly=True)


class PoolLicense(Model):
    """A license's units in one pool: one row for MSP-portal licenses, one per allocation."""

    __tablename__ = "pool_license"
    __table_args__ = (UniqueConstraint("pool_id", "license_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("license_pool.id", ondelete="CASCADE"))
    license_id: Mapped[int] = mapped_column(
        ForeignKey("license.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    usage: Mapped[int] = mapped_column(Integer)

    pool = relationship("LicensePool")
    license = relationship("License")


class Tag(Model):
    """A plain tag (R19): imported ones name a company, but they belong to the MSP."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LicenseTag(Model):
    """A tag on a license; `origin` says whether the import (R06) or a person put it there."""

    __tablename__ = "license_tag"

    license_id: Mapped[int] = mapped_column(
        ForeignKey("license.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
