"""The business portal client: one company's sites and its licenses split among them."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from . import parsing
from .base import PortalClientBase
from .paging import pages
from .records import CurrentUser, License, Site


class BusinessPortalClient(PortalClientBase):
    """Reads one account of the business portal (see ``docs/portal-api.md``).

    The same credentials may or may not open an account here: :meth:`login` raises
    :class:`PortalAuthError` where they do not.
    """

    def current_user(self) -> CurrentUser:
        """``GET User/Current``: the account and its company (``company_type`` is None)."""
        return self._fetch(
            "GET", "User/Current", None, partial(parsing.current_user, with_company_type=False)
        )

    def sites(self) -> Iterator[Site]:
        """``POST Site/List``: the company's sites, streamed by page."""
        return pages(
            self._connection, "Site/List", {}, "sites", parsing.site, lambda site: site.site_id
        )

    def licenses(self) -> Iterator[License]:
        """``POST Search/Licenses``: the company's licenses with their site allocations."""
        return pages(
            self._connection,
            "Search/Licenses",
            {},
            "search",
            partial(parsing.license_, with_allocations=True),
            lambda license: license.public_key,
        )
