"""The data model, one module per aggregate. Import models from here."""

from mspweb.models.accounts import Account, AccountKind, AccountState
from mspweb.models.api_tokens import ApiToken
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
from mspweb.models.twofactor import RecoveryCode, SecurityPolicy, TwoFactor  # issue 15
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
from mspweb.models.webhooks import (
    AlertDigest,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventState,
)

__all__ = [
    "Account",
    "AccountKind",
    "AccountState",
    "AlertDigest",
    "ApiToken",
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
    "RecoveryCode",
    "ReportDelivery",
    "ReportSchedule",
    "Role",
    "SecurityPolicy",
    "SetupState",
    "Site",
    "SyncRun",
    "SyncStatus",
    "SyncTrigger",
    "Tag",
    "TwoFactor",
    "UsageAccountDay",
    "UsageMonth",
    "UsageStatus",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEventState",
]
