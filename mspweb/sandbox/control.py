"""A small Python client for the sandbox's admin endpoint (``/_sandbox``), used by tests.

>>> control = SandboxControl("http://127.0.0.1:5050")
>>> control.add_fault(kind="status", status=503, path="Search/Licenses", count=2)
>>> control.rename_company(company_id, "New name")
"""

from __future__ import annotations

from typing import Any

import requests

from .world import DEMO_ACCOUNTS


class SandboxControlError(RuntimeError):
    """The admin endpoint refused a request; the message is its answer."""


class SandboxControl:
    """Drive a running sandbox: faults, settings, mutations and read helpers."""

    def __init__(
        self, url: str, session: requests.Session | None = None, timeout: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout

    def _call(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        response = self.session.request(
            method,
            f"{self.url}/_sandbox/{path}",
            json=json,
            params=params or None,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise SandboxControlError(
                f"{method} /_sandbox/{path}: {response.status_code} {response.text}"
            )
        return response.json()

    @staticmethod
    def _username(account: str) -> str:
        """Accept a demo-account key ("northwind") or a username."""
        return DEMO_ACCOUNTS[account].username if account in DEMO_ACCOUNTS else account

    # -- world and settings -------------------------------------------------------------
    def reset(self, **overrides: Any) -> dict:
        """Regenerate the world (optional ``seed``, ``companies``, ``licenses``) and clear
        faults, tokens, call counts and settings."""
        return self._call("POST", "reset", overrides)

    def info(self) -> dict:
        """Seed, settings and demo accounts."""
        return self._call("GET", "")

    def settings(self, **settings: Any) -> dict:
        """Change ``token_lifetime``, ``rate_limit``, ``past_end`` ("empty"/"forbidden") or
        ``send_expires_in`` (False: token answers omit ``expiresIn``)."""
        return self._call("POST", "settings", settings)

    def set_token_lifetime(self, seconds: int) -> dict:
        """Lifetime of tokens issued from now on."""
        return self.settings(token_lifetime=seconds)

    def set_rate_limit(self, per_second: float | None) -> dict:
        """Calls per second per credential (None: unlimited); beyond it, 429."""
        return self.settings(rate_limit=per_second)

    def stats(self) -> dict:
        """``{"calls": {"msp/Search/Licenses": n, ...}, "total": n}`` since the last reset."""
        return self._call("GET", "stats")

    def calls(self, path: str, portal: str = "msp") -> int:
        """How many calls of ``portal/path`` the sandbox has answered since the last reset."""
        return self.stats()["calls"].get(f"{portal}/{path.strip('/')}", 0)

    # -- faults -------------------------------------------------------------------------
    def add_fault(self, **rule: Any) -> dict:
        """Add a fault rule (see :mod:`mspweb.sandbox.faults`); returns it with its id."""
        return self._call("POST", "faults", rule)

    def faults(self) -> list[dict]:
        """The active fault rules, with how often each matched and fired."""
        return self._call("GET", "faults")

    def clear_faults(self) -> dict:
        """Remove every fault rule."""
        return self._call("DELETE", "faults")

    # -- credentials ------------------------------------------------------------------------
    def revoke_tokens(self, username: str) -> dict:
        """Revoke every access and refresh token of a user."""
        return self._call("POST", "tokens/revoke", {"username": self._username(username)})

    def set_password(self, username: str, password: str) -> dict:
        """Change a user's password (its tokens stay valid: revoke them too if needed)."""
        return self._call(
            "POST", "users/password", {"username": self._username(username), "password": password}
        )

    # -- mutations ----------------------------------------------------------------------
    def rename_company(self, company_id: str, name: str) -> dict:
        """Rename a company; returns ``{"id"}``."""
        return self.update_company(company_id, name=name)

    def update_company(self, company_id: str, **fields: Any) -> dict:
        """Change a company's name/status/access/email/custom_identifier."""
        return self._call("PATCH", f"companies/{company_id}", fields)

    def add_company(self, parent_id: str, name: str, type: int = 1007, **fields: Any) -> dict:
        """Add a company under ``parent_id``; returns ``{"id"}``."""
        return self._call(
            "POST", "companies", {"parent_id": parent_id, "name": name, "type": type, **fields}
        )

    def remove_company(self, company_id: str) -> dict:
        """Remove a company and its subtree; returns ``{"id", "removed", "licensesRemoved"}``."""
        return self._call("DELETE", f"companies/{company_id}")

    def add_license(self, company_id: str | None = None, **fields: Any) -> dict:
        """Add a license to a company (or, with ``business_id=`` and ``allocations=``, to a
        business account); returns ``{"publicLicenseKey"}``."""
        if company_id is not None:
            fields["company_id"] = company_id
        return self._call("POST", "licenses", fields)

    def set_license(self, key: str, **fields: Any) -> dict:
        """Change a license's usage/quantity/state/expiration/... or ``allocations``."""
        return self._call("PATCH", f"licenses/{key}", fields)

    def remove_license(self, key: str, effective_from: str | None = None) -> dict:
        """Remove a license (``effective_from``: a backdated removal, its history ends then)."""
        body = {"effective_from": effective_from} if effective_from else None
        return self._call("DELETE", f"licenses/{key}", body)

    def set_today(self, day: str | None) -> dict:
        """Set the portal's today (``YYYY-MM-DD``; None: the real UTC date)."""
        return self.settings(today=day)

    def add_site(self, business_id: str, name: str, parent_site_id: str | None = None) -> dict:
        """Add a site to a business account; returns ``{"siteId"}``."""
        return self._call(
            "POST",
            "sites",
            {"business_id": business_id, "name": name, "parent_site_id": parent_site_id},
        )

    # -- read helpers -------------------------------------------------------------------
    def users(self) -> list[dict]:
        """Every login: username, password, id, mspRootId, businessId."""
        return self._call("GET", "users")

    def companies(self, username: str = "northwind") -> list[dict]:
        """The MSP-portal tree of a user, root first (with ``licenseCount`` and ``access``)."""
        return self._call("GET", "companies", username=self._username(username))

    def company(self, name: str, username: str = "northwind") -> dict:
        """The company called ``name`` in a user's tree."""
        return next(c for c in self.companies(username) if c["name"] == name)

    def root(self, username: str = "northwind") -> dict:
        """The root company of a user's MSP-portal tree."""
        return self.companies(username)[0]

    def licenses(
        self, username: str = "northwind", portal: str = "msp", company_id: str | None = None
    ) -> list[dict]:
        """Every license of a user on a portal (readable or not), or of one company."""
        if company_id is not None:
            return self._call("GET", "licenses", company_id=company_id)
        return self._call("GET", "licenses", username=self._username(username), portal=portal)

    def business(self, username: str = "northwind") -> dict | None:
        """A user's business-portal company: ``{"companyId", "name", "sites"}``."""
        return self._call("GET", "sites", username=self._username(username))
