"""The API blueprint with every resource module's views registered on it."""

from __future__ import annotations

from mspweb.api import (  # noqa: F401  (each module adds its views to `bp`)
    views_accounts,
    views_audit,
    views_companies,
    views_licenses,
    views_reports,
    views_reports_license_users,
    views_reports_usage,
)
from mspweb.api.blueprint import bp

__all__ = ["bp"]
