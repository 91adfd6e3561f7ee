"""The records the portal client returns: plain, immutable values parsed from the portals' JSON.

Field names are Python's spelling of the contract's (``publicLicenseKey`` becomes
``public_key``); ids stay strings, enums stay the portal's integer ids.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

ACCESS_LEVELS = ("Write", "Read", "NoAccess")
"""The values of a company's ``access``: the account's permission on that company."""


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The account the client is logged in as, and its own (root) company.

    ``company_type`` is the entity type id (1001..1007) on the MSP portal, ``None`` on the
    business portal, which has no entity types.
    """

    id: str
    email: str
    company_id: str
    company_name: str
    company_type: int | None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True, slots=True)
class Company:
    """One entry of ``Company/Children``: a first-level child company."""

    public_id: str
    name: str
    type: int
    status: int
    email: str | None
    access: str


@dataclass(frozen=True, slots=True)
class CompanyDetail:
    """``Company/Detail``: one company, with its parent (``None`` for the account's root)."""

    id: str
    name: str
    type: int
    status: int
    email: str | None
    parent_id: str | None
    custom_identifier: str | None
    access: str


@dataclass(frozen=True, slots=True)
class Allocation:
    """A business-portal license's units held by one site (``site_id`` None: company level)."""

    site_id: str | None
    quantity: int
    usage: int


@dataclass(frozen=True, slots=True)
class License:
    """A license from either portal, identified by ``public_key`` (unique across both).

    ``customer_id``/``customer_name`` are set by the MSP portal; ``allocations`` by the
    business portal. ``last_update`` is timezone-aware (UTC).
    """

    public_key: str
    product_code: str
    product_name: str
    quantity: int
    usage: int
    state: int
    trial: bool
    trial_expiration: datetime.date | None
    expiration: datetime.date | None
    last_update: datetime.datetime | None
    customer_id: str | None = None
    customer_name: str | None = None
    allocations: tuple[Allocation, ...] = ()


@dataclass(frozen=True, slots=True)
class Site:
    """A business-portal site; sites may nest (``parent_site_id``)."""

    site_id: str
    name: str
    parent_site_id: str | None


@dataclass(frozen=True, slots=True)
class EnumItem:
    """One value of a portal enum (``Enum/LicenseStates``, ``Enum/EntityTypes``)."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class UsageProduct:
    """One (product, license type) of a company in the usage report.

    ``license_type`` is 1 for a full license, 4 for a trial; ``seats`` the units bought on
    the range's last day; ``usage`` the seats in use on each day of the range, in order.
    """

    code: str
    name: str
    license_type: int
    seats: int
    seat_days: int
    usage: tuple[tuple[datetime.date, int], ...]


@dataclass(frozen=True, slots=True)
class UsageCompany:
    """One company of ``UsageReport/AllCompanies/products`` with its products."""

    company_id: str
    company_name: str
    products: tuple[UsageProduct, ...]
