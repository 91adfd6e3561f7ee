"""Companies of an imported account: the mirrored portal tree (Computers tree, R18)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mspweb.extensions import Model
from mspweb.models.base import UTCDateTime, utcnow


class EntityType(enum.IntEnum):
    """Entity types as the portal sends them."""

    HQ = 1001
    DISTRIBUTOR = 1002
    DIVISION = 1003
    MSP_MANAGER = 1004
    MSP = 1005
    MANAGED_MSP = 1006
    CUSTOMER = 1007

    @property
    def label(self) -> str:
        """The type's name as people say it."""
        return ENTITY_LABELS[self]


ENTITY_LABELS = {
    EntityType.HQ: "Vendor HQ",
    EntityType.DISTRIBUTOR: "Distributor",
    EntityType.DIVISION: "Division",
    EntityType.MSP_MANAGER: "MSP Manager",
    EntityType.MSP: "MSP",
    EntityType.MANAGED_MSP: "Managed MSP",
    EntityType.CUSTOMER: "Customer",
}

#: Entity types whose companies can have children in the portal (the sync asks for those only).
PARENT_TYPES = frozenset({1001, 1002, 1003, 1004, 1005, 1006})

#: The longest company name the data model keeps; tag names are as long (R06).
COMPANY_NAME_LENGTH = 512

#: Root types an import accepts (R01).
IMPORTABLE_TYPES = frozenset({1004, 1005, 1006})


class SetupState(enum.StrEnum):
    """Where the customer setup (R17) stands for a company."""

    NOT_SET_UP = "not_set_up"
    SET_UP = "set_up"
    SKIPPED = "skipped"


class CustomerStatus(enum.StrEnum):
    """The three statuses a customer shows (R15)."""

    NOT_SET_UP = "not_set_up"
    SET_UP = "set_up"
    UNLINKED = "unlinked"

    @property
    def label(self) -> str:
        """The status in words."""
        return {"not_set_up": "Not set up", "set_up": "Set up", "unlinked": "Unlinked"}[self.value]


class Company(Model):
    """A company of the portal tree, mirrored locally and never deleted by a sync (R20)."""

    __tablename__ = "company"
    __table_args__ = (
        UniqueConstraint("account_id", "source", "portal_id"),
        Index("ix_company_account_parent", "account_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    #: "msp" for the MSP portal's tree, "business" for a business-portal company.
    source: Mapped[str] = mapped_column(String(16), default="msp")
    portal_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(COMPANY_NAME_LENGTH))
    entity_type: Mapped[int | None] = mapped_column(Integer)
    portal_status: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str | None] = mapped_column(String(320))
    access: Mapped[str | None] = mapped_column(String(16))
    custom_identifier: Mapped[str | None] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True
    )
    setup_state: Mapped[str] = mapped_column(String(16), default=SetupState.NOT_SET_UP.value)
    setup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    group_name: Mapped[str | None] = mapped_column(String(512))
    unlinked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: In the License Management tree: it had licenses at the last synchronization (R07, R18).
    in_license_tree: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account = relationship("Account", foreign_keys=[account_id])
    parent = relationship("Company", remote_side=[id], foreign_keys=[parent_id])

    @property
    def is_unlinked(self) -> bool:
        """True when the company disappeared from the portal or its account was removed."""
        return self.unlinked_at is not None

    @property
    def customer_status(self) -> CustomerStatus:
        """The customer status (R15): unlinked wins over the setup state."""
        if self.unlinked_at is not None:
            return CustomerStatus.UNLINKED
        if self.setup_state in (SetupState.SET_UP, SetupState.SKIPPED):
            return CustomerStatus.SET_UP
        return CustomerStatus.NOT_SET_UP

    @property
    def type_label(self) -> str:
        """The entity type in words ("Customer", "MSP Manager"...)."""
        if self.entity_type is None:
            return "Company"
        try:
            return EntityType(self.entity_type).label
        except ValueError:
            return f"Type {self.entity_type}"

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name!r}>"
