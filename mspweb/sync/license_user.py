"""The License User of a license in a pool (R10): "company name" or "company name / site name".

Always computed from the company's and site's current names, so a rename shows everywhere
at once (R09) while the license's tags stay as they were.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, literal

from mspweb.models import Company, Site

SEPARATOR = " / "


def license_user(company_name: str, site_name: str | None = None) -> str:
    """The License User in Python: ``license_user("Acme Ltd", "Branch Vienna")``."""
    return f"{company_name}{SEPARATOR}{site_name}" if site_name else company_name


def license_user_expression(
    company: type[Company] = Company, site: type[Site] = Site
) -> ColumnElement[str]:
    """The License User as SQL, for a query that joins the pool's company and (outer) site.

    >>> select(PoolLicense.id, license_user_expression().label("license_user"))
    ...     .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
    ...     .join(Company, Company.id == LicensePool.company_id)
    ...     .outerjoin(Site, Site.id == LicensePool.site_id)
    """
    return case(
        (site.name.is_not(None), company.name + literal(SEPARATOR) + site.name),
        else_=company.name,
    )
