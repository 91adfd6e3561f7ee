"""The data model, one module per aggregate. Import models from here."""

from mspweb.models.accounts import Account, AccountKind, AccountState
from mspweb.models.audit import AuditEntry
from mspweb.models.changes import ChangeKind, ChangeRecord
from mspweb.models.companies import Company, CustomerStatus, EntityType, SetupState
from mspweb.models.licenses import (
    License,
    LicensePool,
    LicenseState,
    LicenseTag,
    PoolLicense,
    Site,
    Tag,
)
from mspweb.models.sync import SyncRun, SyncStatus, SyncTrigger
from mspweb.models.usage import (  # issue 10: reports
    BillingClose,
    BillingLine,
    ReportDelivery,
    ReportSchedule,
    UsageAccountDay,
    UsageMonth,
    UsageStatus,
)
from mspweb.models.users import Role, User

__all__ = [
    "Account",
    "AccountKind",
    "AccountState",
    "AuditEntry",
    "BillingClose",
    "BillingLine",
    "ChangeKind",
    "ChangeRecord",
    "Company",
    "CustomerStatus",
    "EntityType",
    "License",
    "LicensePool",
    "LicenseState",
    "LicenseTag",
    "PoolLicense",
    "ReportDelivery",
    "ReportSchedule",
    "Role",
    "SetupState",
    "Site",
    "SyncRun",
    "SyncStatus",
    "SyncTrigger",
    "Tag",
    "UsageAccountDay",
    "UsageMonth",
    "UsageStatus",
    "User",
]
