"""Read both portals into a compact :class:`Snapshot` (plain tuples, no ORM objects).

The structure is read breadth-first with ``Company/Children``, asking only companies whose
type can have children; every license with one ``Search/Licenses`` stream (``customerId``
null); the business portal's sites and licenses with their allocations. A portal failure
raises :class:`SyncFailure` with the error in words; a listing that does not add up is a
failure too (the client refuses it), so a snapshot is always complete.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable

from mspweb.models.companies import PARENT_TYPES
from mspweb.portal import (
    BusinessPortalClient,
    MspPortalClient,
    PortalAuthError,
    PortalError,
    PortalNotFound,
    PortalProtocolError,
    PortalUnavailable,
)
from mspweb.portal.records import Company as PortalCompany
from mspweb.portal.records import License as PortalLicense
from mspweb.sync.prefetch import Prefetch
from mspweb.sync.snapshot import (
    Allocations,
    CompanyRecord,
    LicenseRecord,
    SiteRecord,
    Snapshot,
    license_digest,
    units_of,
)

__all__ = [
    "CompanyRecord",
    "Fetcher",
    "LicenseRecord",
    "SiteRecord",
    "Snapshot",
    "SyncFailure",
    "license_digest",
    "units_of",
]

#: ``progress(phase, done, total)``: called as the fetch goes (the caller throttles writes).
ProgressCallback = Callable[[str, int, int | None], None]

#: ``on_licenses(snapshot, records)``: hears each chunk of MSP licenses as it is read (the
#: tree is complete by then); the snapshot is complete only when the fetch returns.
LicensesCallback = Callable[[Snapshot, list[LicenseRecord]], None]

CHUNK = 2000
"""MSP licenses handed to ``on_licenses`` at a time."""

READ_AHEAD = 64
"""Pages of licenses read ahead while a chunk is written (6,400 licenses, a few MB): the
portal is read on while the sync writes."""

#: Unknown companies a license may name (added while the sync ran) that are looked up at most.
MAX_LATE_COMPANIES = 50


class SyncFailure(Exception):
    """A sync failed; ``message`` says why in words a person can act on.

    ``credentials_invalid`` is set when the portal no longer accepts the stored credentials.
    """

    def __init__(self, message: str, *, credentials_invalid: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.credentials_invalid = credentials_invalid


def describe_portal_error(error: PortalError, portal: str) -> SyncFailure:
    """The failure, in words, for a portal error on `portal` ("MSP portal", "business portal")."""
    detail = str(error)
    if isinstance(error, PortalAuthError):
        return SyncFailure(
            f"The {portal}: credentials no longer valid. Update the account's password, then "
            "synchronize again.",
            credentials_invalid=True,
        )
    if isinstance(error, PortalUnavailable):
        if error.status == 503 and (error.code, error.sub_code) == (99, 2):
            return SyncFailure(
                f"The {portal} is under maintenance (portal under maintenance); "
                f"try again later. ({detail})"
            )
        if "timed out" in detail:
            return SyncFailure(f"The {portal} timed out: {detail}")
        return SyncFailure(f"The {portal} is unavailable: {detail}")
    if isinstance(error, PortalProtocolError):
        return SyncFailure(f"The {portal} answered something unexpected: {detail}")
    return SyncFailure(f"The {portal} refused a call: {detail}")


def _intern(text: str) -> str:
    return sys.intern(text)


def _company(record: PortalCompany, parent_portal_id: str | None) -> CompanyRecord:
    return CompanyRecord(
        record.public_id,
        record.name,
        record.type,
        record.status,
        record.email,
        record.access,
        parent_portal_id,
    )


def _license(
    item: PortalLicense, company_portal_id: str | None, allocations: Allocations | None = None
) -> LicenseRecord:
    source = "msp" if allocations is None else "business"
    return LicenseRecord(
        item.public_key,
        company_portal_id,
        _intern(item.product_code),
        _intern(item.product_name),
        item.quantity,
        item.usage,
        item.state,
        item.trial,
        item.trial_expiration,
        item.expiration,
        item.last_update,
        allocations,
        license_digest(item, source, company_portal_id, allocations),
    )


class Fetcher:
    """Reads one account's portals; ``progress`` hears how far it got."""

    def __init__(
        self,
        progress: ProgressCallback | None = None,
        expected_licenses: int | None = None,
        on_licenses: LicensesCallback | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self.progress = progress or (lambda phase, done, total: None)
        self.expected_licenses = expected_licenses or None
        self.on_licenses = on_licenses
        self.chunk = max(1, chunk)
        self.snapshot = Snapshot()

    def fetch_msp(self, client: MspPortalClient, root_portal_id: str | None) -> None:
        """Read the MSP portal's tree and every readable license."""
        snapshot = self.snapshot
        try:
            if root_portal_id is None:
                root_portal_id = client.current_user().company_id
            detail = client.company_detail(root_portal_id)
            root = CompanyRecord(
                detail.id,
                detail.name,
                detail.type,
                detail.status,
                detail.email,
                detail.access,
                None,
                detail.custom_identifier,
            )
            self._read_tree(client, root)
            self._read_licenses(client)
        except PortalError as error:
            raise describe_portal_error(error, "MSP portal") from error
        finally:
            self._count(client)
        snapshot.has_msp = True

    def _read_tree(self, client: MspPortalClient, root: CompanyRecord) -> None:
        companies = self.snapshot.companies
        companies.append(root)
        waiting = deque([root.portal_id] if root.entity_type in PARENT_TYPES else [])
        while waiting:
            parent_id = waiting.popleft()
            for child in client.company_children(parent_id):
                companies.append(_company(child, parent_id))
                if child.type in PARENT_TYPES:
                    waiting.append(child.public_id)
            self.progress("companies", len(companies), None)

    def _read_licenses(self, client: MspPortalClient) -> None:
        known = {company.portal_id: company.portal_id for company in self.snapshot.companies}
        licenses = self.snapshot.msp_licenses
        late: set[str] = set()
        self.progress("licenses", 0, self.expected_licenses)
        stream = iter(Prefetch(client.licenses(None), depth=READ_AHEAD))
        try:
            for count, item in enumerate(stream, start=1):
                customer = item.customer_id
                if customer is None:
                    raise SyncFailure("The MSP portal listed a license without its company.")
                owner = known.get(customer)
                if owner is None:  # a company added after the tree was read
                    late.add(customer)
                    owner = customer
                licenses.append(_license(item, owner))
                if count % 100 == 0:
                    self.progress("licenses", count, self.expected_licenses)
                if self.on_licenses is not None and count % self.chunk == 0:
                    self.on_licenses(self.snapshot, licenses[count - self.chunk : count])
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        self.progress("licenses", len(licenses), len(licenses))
        if late:
            self._read_late_companies(client, late, known)

    def _read_late_companies(
        self, client: MspPortalClient, late: set[str], known: dict[str, str]
    ) -> None:
        """Look up companies that licenses name but the tree did not hold (and their parents)."""
        waiting, found = list(late), list[CompanyRecord]()
        while waiting:
            if len(found) >= MAX_LATE_COMPANIES:
                raise SyncFailure(
                    "The MSP portal changed too much while it was being read; try again."
                )
            company_id = waiting.pop()
            if company_id in known:
                continue
            try:
                detail = client.company_detail(company_id)
            except PortalNotFound:
                raise SyncFailure(
                    "The MSP portal changed while it was being read (a company "
                    "was removed); try again."
                ) from None
            found.append(
                CompanyRecord(
                    detail.id,
                    detail.name,
                    detail.type,
                    detail.status,
                    detail.email,
                    detail.access,
                    detail.parent_id,
                    detail.custom_identifier,
                )
            )
            known[detail.id] = detail.id
            if detail.parent_id is not None and detail.parent_id not in known:
                waiting.append(detail.parent_id)
        self.snapshot.companies.extend(found)  # the engine orders parents before children

    def fetch_business(self, client: BusinessPortalClient) -> None:
        """Read the business portal's company, its licenses and its sites."""
        snapshot = self.snapshot
        try:
            user = client.current_user()
            snapshot.business_company = (user.company_id, user.company_name)
            licenses = snapshot.business_licenses
            for count, item in enumerate(client.licenses(), start=1):
                allocations = tuple(
                    (part.site_id, part.quantity, part.usage) for part in item.allocations
                )
                licenses.append(_license(item, None, allocations))
                if count % 100 == 0:
                    self.progress("business", count, None)
            snapshot.sites = [
                SiteRecord(site.site_id, site.name, site.parent_site_id) for site in client.sites()
            ]
            self.progress("business", len(licenses), len(licenses))
        except PortalError as error:
            raise describe_portal_error(error, "business portal") from error
        finally:
            self._count(client)
        snapshot.has_business = True

    def _count(self, client: MspPortalClient | BusinessPortalClient) -> None:
        stats = client.stats
        self.snapshot.portal_calls += stats.calls
        self.snapshot.portal_retries += stats.retries
        self.snapshot.portal_wait_seconds += stats.waited_seconds
