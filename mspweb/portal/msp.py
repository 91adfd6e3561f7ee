"""The MSP portal client: the account's company tree and the licenses of every company."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from functools import partial

from . import parsing
from .base import PortalClientBase
from .paging import pages
from .records import Company, CompanyDetail, CurrentUser, EnumItem, License, UsageCompany


class MspPortalClient(PortalClientBase):
    """Reads one account of the MSP portal (see ``docs/portal-api.md``).

    >>> with MspPortalClient(url, "ops@msp.example", password) as portal:
    ...     root = portal.current_user().company_id
    ...     children = list(portal.company_children(root))
    """

    def current_user(self) -> CurrentUser:
        """``GET User/Current``: the account and its root company (with its entity type)."""
        return self._fetch(
            "GET", "User/Current", None, partial(parsing.current_user, with_company_type=True)
        )

    def company_detail(self, company_id: str) -> CompanyDetail:
        """``POST Company/Detail``: one company of the account's tree, with its access."""
        return self._fetch(
            "POST", "Company/Detail", {"companyId": company_id}, parsing.company_detail
        )

    def company_children(self, company_id: str) -> Iterator[Company]:
        """``POST Company/Children``: the first-level children of a company, streamed by page."""
        return pages(
            self._connection,
            "Company/Children",
            {"companyId": company_id},
            "companies",
            parsing.company,
            lambda company: company.public_id,
        )

    def licenses(self, customer_id: str | None = None, keyword: str = "") -> Iterator[License]:
        """``POST Search/Licenses``: licenses streamed by page.

        With ``customer_id`` None, every license the account can read; with a company id,
        that company's only (:class:`PortalAccessError` if the account cannot read it).
        ``keyword`` filters by product code, product name or key.
        """
        return pages(
            self._connection,
            "Search/Licenses",
            {"keyword": keyword, "customerId": customer_id},
            "search",
            parsing.license_,
            lambda license: license.public_key,
        )

    def usage_report(self, first: datetime.date, last: datetime.date) -> Iterator[UsageCompany]:
        """``POST UsageReport/AllCompanies/products``: daily seat usage of every readable
        company for ``first..last`` (both included), streamed by page of companies; the
        pages must add up to ``totalCount`` like every listing."""
        return pages(
            self._connection,
            "UsageReport/AllCompanies/products",
            {"from": first.isoformat(), "to": last.isoformat()},
            "companies",
            parsing.usage_company,
            lambda company: company.company_id,
        )

    def license_detail(self, public_key: str) -> License:
        """``POST License/Detail``: one license by its public key."""
        return self._fetch(
            "POST", "License/Detail", {"publicLicenseKey": public_key}, parsing.license_
        )

    def license_states(self) -> list[EnumItem]:
        """``GET Enum/LicenseStates``: the license state ids and names."""
        return self._fetch("GET", "Enum/LicenseStates", None, parsing.enum_items)

    def entity_types(self) -> list[EnumItem]:
        """``GET Enum/EntityTypes``: the entity type ids (1001..1007) and names."""
        return self._fetch("GET", "Enum/EntityTypes", None, parsing.enum_items)
