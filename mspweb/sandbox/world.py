"""The sandbox's data model: companies, licenses, business accounts and users, with indexes.

A :class:`World` is built by :func:`mspweb.sandbox.generate.build_world` from a seed and is
deterministic for a given seed, size and day. Demo credentials (the same in every world):

==============================  ==========  ==================================================
username                        password    what it opens
==============================  ==========  ==================================================
``msp@northwind.example``       northwind   mixed account: MSP (1005) "Northwind MSP" with
                                            its customers on the MSP portal, and company
                                            "Northwind MSP" with sites on the business portal
``manager@fabrikam.example``    fabrikam    MSP Manager (1004) "Fabrikam Holdings": Managed
                                            MSPs (1006) with customers; MSP portal only
``distributor@contoso.example`` contoso     a Distributor (1002): importing it is refused (R01)
``noread@adatum.example``       adatum      an MSP without read access anywhere (R02 refusal)
``single@litware.example``      litware     an MSP that can read exactly one customer (R02)
``business@tailspin.example``   tailspin    business portal only: "Tailspin Toys" with sites
==============================  ==========  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

MSP_PORTAL = "msp"
BUSINESS_PORTAL = "business"

ENTITY_TYPES = {
    1001: "HQ",
    1002: "Distributor",
    1003: "Division",
    1004: "MSP Manager",
    1005: "MSP",
    1006: "Managed MSP",
    1007: "Customer",
}
LICENSE_STATES = {0: "Error", 1: "Normal", 2: "Obsolete", 3: "Suspended", 4: "Warning"}
ACCESS_LEVELS = ("Write", "Read", "NoAccess")


@dataclass(frozen=True)
class DemoAccount:
    """A demo credential and what it opens."""

    username: str
    password: str
    portals: tuple[str, ...]
    description: str


DEMO_ACCOUNTS: dict[str, DemoAccount] = {
    "northwind": DemoAccount(
        "msp@northwind.example",
        "northwind",
        ("msp", "business"),
        "mixed account: MSP Northwind MSP + business-portal sites",
    ),
    "fabrikam": DemoAccount(
        "manager@fabrikam.example",
        "fabrikam",
        ("msp",),
        "MSP Manager with Managed MSPs and customers",
    ),
    "contoso": DemoAccount(
        "distributor@contoso.example", "contoso", ("msp",), "Distributor: import refused (R01)"
    ),
    "adatum": DemoAccount(
        "noread@adatum.example", "adatum", ("msp",), "MSP without read access to any company (R02)"
    ),
    "litware": DemoAccount(
        "single@litware.example",
        "litware",
        ("msp",),
        "MSP that can read exactly one customer (R02)",
    ),
    "tailspin": DemoAccount(
        "business@tailspin.example",
        "tailspin",
        ("business",),
        "business portal only, company Tailspin Toys",
    ),
}
#: The main demo account (mixed: both portals).
MAIN_ACCOUNT = DEMO_ACCOUNTS["northwind"]


@dataclass(slots=True)
class Company:
    """One company of the MSP portal's tree."""

    id: str
    name: str
    type: int
    parent_id: str | None
    access: str = "Write"
    status: int = 1
    email: str = ""
    custom_identifier: str | None = None
    children: list[str] = field(default_factory=list)
    license_keys: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Allocation:
    """A business license's units held by one site (``site_id`` None: company level)."""

    site_id: str | None
    quantity: int
    usage: int


@dataclass(slots=True)
class License:
    """A license of either portal; ``company_id`` (MSP) or ``business_id`` (business) is set."""

    key: str
    product_code: str
    product_name: str
    quantity: int
    usage: int
    state: int = 1
    trial: bool = False
    trial_expiration: str | None = None
    expiration: str | None = None
    last_update: str = ""
    company_id: str | None = None
    business_id: str | None = None
    allocations: list[Allocation] = field(default_factory=list)
    #: Usage history (MSP portal): the first day held, the day it went (None: still held),
    #: and dated snapshots of what it was from that day on (see :mod:`.usage`).
    start: str | None = None
    end: str | None = None
    history: list = field(default_factory=list)
    base: object = None  # the generated snapshot the synthetic past is drawn from

    @property
    def owner_id(self) -> str:
        """The id of the MSP-portal company or business account that holds the license."""
        owner = self.company_id or self.business_id
        if owner is None:
            raise LookupError(f"license {self.key} has no owner")
        return owner


@dataclass(slots=True)
class Site:
    """A site of a business-portal company."""

    id: str
    name: str
    parent_site_id: str | None = None


@dataclass(slots=True)
class BusinessAccount:
    """A business-portal company with its sites and licenses."""

    id: str
    name: str
    sites: list[Site] = field(default_factory=list)
    license_keys: list[str] = field(default_factory=list)


@dataclass(slots=True)
class User:
    """A portal login; ``msp_root_id`` and/or ``business_id`` say which portals it opens."""

    username: str
    password: str
    id: str
    first_name: str
    last_name: str
    msp_root_id: str | None = None
    business_id: str | None = None

    @property
    def root_id(self) -> str:
        """The root company of a user who opens the MSP portal."""
        if self.msp_root_id is None:
            raise LookupError(f"{self.username} does not open the MSP portal")
        return self.msp_root_id


@dataclass
class World:
    """Every object of both portals, indexed by id, plus cached per-root listings."""

    seed: int
    companies: dict[str, Company] = field(default_factory=dict)
    licenses: dict[str, License] = field(default_factory=dict)
    businesses: dict[str, BusinessAccount] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    version: int = 0
    #: Licenses removed from the portal, kept for the usage report's past days.
    retired: dict[str, License] = field(default_factory=dict)
    #: The day the world was generated: generated licenses have a synthetic past before it.
    built_on: str = ""
    #: A fixed "today" (tests); None follows the real UTC date.
    fixed_today: str | None = None
    _listing_cache: dict[str, tuple[int, list[str]]] = field(default_factory=dict, repr=False)

    def changed(self) -> None:
        """Mark the world as changed so that cached listings are rebuilt."""
        self.version += 1

    def in_tree(self, company_id: str, root_id: str) -> bool:
        """Whether ``company_id`` is ``root_id`` or below it."""
        company = self.companies.get(company_id)
        while company is not None:
            if company.id == root_id:
                return True
            company = self.companies.get(company.parent_id) if company.parent_id else None
        return False

    def subtree(self, root_id: str) -> list[str]:
        """Company ids of the tree under ``root_id`` (root first, depth-first, stable)."""
        order: list[str] = []
        stack = [root_id]
        while stack:
            company_id = stack.pop()
            order.append(company_id)
            stack.extend(reversed(self.companies[company_id].children))
        return order

    def readable_license_keys(self, root_id: str) -> list[str]:
        """Keys of every license the account rooted at ``root_id`` may read, in stable order."""
        cached = self._listing_cache.get(root_id)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        keys: list[str] = []
        for company_id in self.subtree(root_id):
            company = self.companies[company_id]
            if company.access != "NoAccess":
                keys.extend(company.license_keys)
        self._listing_cache[root_id] = (self.version, keys)
        return keys
