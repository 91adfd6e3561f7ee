"""`/api/v1/companies`: the companies of the token's scope, with their customer status (R15).

For administrators and operators (customer users get 404, as on Managed Customers). A company
is addressed by its portal id; `account` picks among accounts that share one.
"""

from __future__ import annotations

from flask import url_for
from pydantic import Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from mspweb.api.blueprint import bp
from mspweb.api.paging import ok, page_info, require_staff
from mspweb.api.problems import problem
from mspweb.api.schemas import CompanyDetail, CompanyList, CompanyQuery, Strict
from mspweb.api.spec import responses, spec
from mspweb.customers.queries import status_clause
from mspweb.extensions import db
from mspweb.models import Company, EntityType, License
from mspweb.pagination import paginate
from mspweb.params import MAX_INT
from mspweb.scope import current_scope


class CompanyShowQuery(Strict):
    """Which account's company, when several accounts share a portal id."""

    account: int | None = Field(None, ge=1, le=MAX_INT)


def company_out(company: Company, parent_portal_id: str | None) -> dict:
    """A company as the API shows it (`CompanyOut`)."""
    return {
        "portal_id": company.portal_id,
        "account_id": company.account_id,
        "source": company.source,
        "name": company.name,
        "type": company.type_label,
        "customer_status": company.customer_status.value,
        "parent_portal_id": parent_portal_id,
        "email": company.email,
        "custom_identifier": company.custom_identifier,
        "first_seen_at": company.first_seen_at.isoformat(),
        "unlinked_at": company.unlinked_at.isoformat() if company.unlinked_at else None,
        "url": url_for(
            "api.show_company",
            portal_id=company.portal_id,
            account=company.account_id,
            _external=True,
        ),
    }


def _visible_parent():
    """The parent company, joined only when it is visible too (nothing outside leaks)."""
    parent = aliased(Company)
    return parent, current_scope().covers(parent.id)


@bp.get("/companies")
@spec.validate(query=CompanyQuery, resp=responses(200, CompanyList), tags=["companies"])
def list_companies(query: CompanyQuery):
    """The visible companies, by name: search `q` (name, identifier, e-mail), customer status."""
    require_staff()
    scope = current_scope()
    parent, parent_visible = _visible_parent()
    statement = (
        select(Company, parent.portal_id)
        .outerjoin(parent, (parent.id == Company.parent_id) & parent_visible)
        .where(scope.covers(Company.id))
        .order_by(func.lower(Company.name), Company.id)
    )
    if query.account is not None:
        scope.require_account(query.account)
        statement = statement.where(Company.account_id == query.account)
    if query.customers_only:
        statement = statement.where(Company.entity_type == EntityType.CUSTOMER.value)
    if query.status:
        statement = statement.where(status_clause(query.status))
    term = (query.q or "").strip().lower()
    if term:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                func.lower(Company.name).like(pattern, escape="\\"),
                func.lower(Company.custom_identifier).like(pattern, escape="\\"),
                func.lower(Company.email).like(pattern, escape="\\"),
            )
        )
    page = paginate(statement, query.page, query.per_page, scalars=False)
    items = [company_out(company, parent_id) for company, parent_id in page.items]
    return ok({"items": items, **page_info(page, query.model_dump(exclude_defaults=True))})


@bp.get("/companies/<portal_id>")
@spec.validate(query=CompanyShowQuery, resp=responses(200, CompanyDetail), tags=["companies"])
def show_company(portal_id: str, query: CompanyShowQuery):
    """One company by its portal id, with its license figures."""
    require_staff()
    from mspweb.api.views_licenses import visible_company_by_portal_id

    if "\x00" in portal_id or len(portal_id) > 64:
        raise problem(404, "not-found", "There is no such company.")
    company = visible_company_by_portal_id(portal_id, query.account)
    parent, parent_visible = _visible_parent()
    parent_id = db.session.scalar(
        select(parent.portal_id).where(parent.id == company.parent_id, parent_visible)
    )
    count, used, units = db.session.execute(
        select(
            func.count(License.id),
            func.coalesce(func.sum(License.usage), 0),
            func.coalesce(func.sum(License.quantity), 0),
        ).where(License.company_id == company.id)
    ).one()
    return {**company_out(company, parent_id), "licenses": count, "used": used, "units": units}
