"""The client for the license portals' HTTP contract (``docs/portal-api.md``).

No Flask and no database here: the client takes a base URL and credentials, and returns
plain records. Every failure is a :class:`PortalError` subclass with a readable message.
"""

from .business import BusinessPortalClient
from .errors import (
    PortalAccessError,
    PortalAuthError,
    PortalError,
    PortalNotFound,
    PortalProtocolError,
    PortalUnavailable,
)
from .msp import MspPortalClient
from .records import (
    Allocation,
    Company,
    CompanyDetail,
    CurrentUser,
    EnumItem,
    License,
    Site,
    UsageCompany,
    UsageProduct,
)
from .settings import CallStats, ClientSettings

__all__ = [
    "Allocation",
    "BusinessPortalClient",
    "CallStats",
    "ClientSettings",
    "Company",
    "CompanyDetail",
    "CurrentUser",
    "EnumItem",
    "License",
    "MspPortalClient",
    "PortalAccessError",
    "PortalAuthError",
    "PortalError",
    "PortalNotFound",
    "PortalProtocolError",
    "PortalUnavailable",
    "Site",
    "UsageCompany",
    "UsageProduct",
]
