"""What one sync read from the portals: compact records (NamedTuples) in a :class:`Snapshot`.

No ORM objects and no Flask: the engine applies a snapshot, tests build one by hand. Each
license carries the digest of what the portal said (:func:`license_digest`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from hashlib import blake2b
from typing import NamedTuple

from mspweb.portal.records import License as PortalLicense

#: A business license's units per site: ``((site portal id or None, quantity, usage), ...)``.
Allocations = tuple[tuple[str | None, int, int], ...]


class CompanyRecord(NamedTuple):
    """One company of the MSP portal's tree."""

    portal_id: str
    name: str
    entity_type: int
    status: int
    email: str | None
    access: str
    parent_portal_id: str | None
    custom_identifier: str | None = None


class SiteRecord(NamedTuple):
    """One business-portal site."""

    portal_id: str
    name: str
    parent_portal_id: str | None


class LicenseRecord(NamedTuple):
    """One license; ``allocations`` is None for MSP-portal licenses (one pool per company),
    else ``((site portal id or None, quantity, usage), ...)``."""

    public_key: str
    company_portal_id: str | None  # None: the business-portal company
    product_code: str
    product_name: str
    quantity: int
    usage: int
    state: int
    trial: bool
    trial_expiration: date | None
    expiration: date | None
    last_update: datetime | None
    allocations: tuple[tuple[str | None, int, int], ...] | None = None
    digest: str = ""  # see license_digest


@dataclass
class Snapshot:
    """Everything one sync read from the portals, complete (else the fetch failed)."""

    has_msp: bool = False
    has_business: bool = False
    #: MSP companies, parents before children, the root first.
    companies: list[CompanyRecord] = field(default_factory=list)
    business_company: tuple[str, str] | None = None  # (portal id, name)
    sites: list[SiteRecord] = field(default_factory=list)
    msp_licenses: list[LicenseRecord] = field(default_factory=list)
    business_licenses: list[LicenseRecord] = field(default_factory=list)
    portal_calls: int = 0
    portal_retries: int = 0
    portal_wait_seconds: float = 0.0

    @property
    def root(self) -> CompanyRecord | None:
        """The MSP root company."""
        return self.companies[0] if self.companies else None


def units_of(record: LicenseRecord) -> list[tuple[str | None, int, int]]:
    """A business license's allocations that hold units (all units at company level if none)."""
    parts = [part for part in record.allocations or () if part[1] or part[2]]
    if parts:
        return parts
    if record.allocations:
        return [record.allocations[0]]
    return [(None, record.quantity, record.usage)]


def license_digest(
    item: PortalLicense | LicenseRecord,
    source: str,
    company_portal_id: str | None,
    allocations: Allocations | None,
) -> str:
    """A stable fingerprint of what the portal says about a license: its fields, its company
    and its units per site. A sync compares fingerprints first, and loads and compares the
    rows only of licenses whose fingerprint changed."""
    if allocations is None:
        units = ""
    else:
        parts = units_of(
            LicenseRecord(
                "", None, "", "", item.quantity, item.usage, 0, False, None, None, None, allocations
            )
        )
        units = ";".join(
            f"{site}:{quantity}:{usage}"
            for site, quantity, usage in sorted(parts, key=lambda part: part[0] or "")
        )
    trial_expiration, expiration, last_update = (
        item.trial_expiration,
        item.expiration,
        item.last_update,
    )
    text = (
        f"{source}|{company_portal_id}|{item.product_code}|{item.product_name}|"
        f"{item.quantity}|{item.usage}|{item.state}|{item.trial:d}|"
        f"{trial_expiration.toordinal() if trial_expiration else 0}|"
        f"{expiration.toordinal() if expiration else 0}|"
        f"{last_update.timestamp() if last_update else 0}|{units}"
    )
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
