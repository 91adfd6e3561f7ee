"""`/api/v1/licenses` and `/api/v1/tags`: the License Management table, one license, tags.

A license is addressed by its public key. The list is the License Management table (a license
in several pools is one row per pool), with the same filters, search and sorts; a company
filter names the company by its portal id. Tag edits follow the pages' rules: R19 (plain
names), R04 (nothing moves a license out of its pool), and renames only for tags wholly within
an operator's part of the tree.
"""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from mspweb.api.blueprint import bp
from mspweb.api.paging import ok, page_info
from mspweb.api.problems import problem
from mspweb.api.schemas import (
    LicenseDetail,
    LicenseFilterQuery,
    LicenseList,
    LicenseQuery,
    TagBody,
    TagList,
    TagQuery,
    TagRenameBody,
    TagRenamed,
)
from mspweb.api.spec import responses, spec
from mspweb.database import begin_write
from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import tag_counts_select, tag_page
from mspweb.licenses.queries import license_user_expr
from mspweb.licenses.status import end_date, status_expr
from mspweb.licenses.table import license_page
from mspweb.models import Company, License, LicensePool, LicenseTag, PoolLicense, Site, Tag
from mspweb.scope import current_scope
from mspweb.tags.confined import rename_as
from mspweb.tags.service import TagError, add_tag, remove_tag


def _not_found() -> Exception:
    return problem(404, "not-found", "There is nothing here, or it is outside your scope.")


def visible_company_by_portal_id(portal_id: str, account: int | None = None) -> Company:
    """The visible company with this portal id (in `account` if given), else 404."""
    query = select(Company).where(
        Company.portal_id == portal_id, current_scope().covers(Company.id)
    )
    if account is not None:
        query = query.where(Company.account_id == account)
    company = db.session.scalars(query.order_by(Company.id)).first()
    if company is None:
        raise _not_found()
    return company


def visible_license_by_key(key: str) -> License:
    """The visible license with this public key, else 404 (forged keys learn nothing)."""
    if "\x00" in key or len(key) > 64:
        raise _not_found()
    license = db.session.scalars(
        select(License)
        .where(License.public_key == key, current_scope().covers(License.company_id))
        .order_by(License.id)
    ).first()
    if license is None:
        raise _not_found()
    return license


def license_filters(query: LicenseFilterQuery) -> LicenseFilters:
    """License Management's filters from the API's (the table's sort and page at their
    defaults): an account outside the scope is 404, and the company's portal id becomes its id
    (404 when it is not visible, or not in `account`). Shared by every API view that filters
    licenses, so they name things alike."""
    if query.account is not None:
        current_scope().require_account(query.account)
    company = visible_company_by_portal_id(query.company, query.account) if query.company else None
    return LicenseFilters(
        company=company.id if company else None,
        tag=(query.tag or "").strip() or None,
        status=query.status,
        product=(query.product or "").strip() or None,
        q=(query.q or "").strip(),
        account=query.account,
    )


@bp.get("/licenses")
@spec.validate(query=LicenseQuery, resp=responses(200, LicenseList), tags=["licenses"])
def list_licenses(query: LicenseQuery):
    """The License Management table: filters, search, sort, page (100 rows: `per_page=100`)."""
    scope = current_scope()
    filters = license_filters(query).with_changes(
        sort=query.sort, dir=query.dir, page=query.page, per_page=query.per_page
    )
    page = license_page(filters, scope)
    company_ids = {row.company_id for row in page.rows}
    portal_ids = dict(
        db.session.execute(
            select(Company.id, Company.portal_id).where(Company.id.in_(company_ids))
        ).all()
    )
    items = [
        {
            "key": row.public_key,
            "product_code": row.product_code,
            "product_name": row.product_name,
            "license_user": row.license_user,
            "used": row.used,
            "units": row.units,
            "status": row.status,
            "trial": bool(row.trial),
            "end_date": _iso(end_date(row)),
            "account_id": row.account_id,
            "company_portal_id": portal_ids.get(row.company_id, ""),
            "pool_source": row.pool_source,
            "tags": [name for _, name in page.tags.get(row.license_id, [])],
            "url": url_for("api.show_license", key=row.public_key, _external=True),
        }
        for row in page.rows
    ]
    return ok({"items": items, **page_info(page, query.model_dump(exclude_defaults=True))})


@bp.get("/licenses/<key>")
@spec.validate(resp=responses(200, LicenseDetail), tags=["licenses"])
def show_license(key: str):
    """One license with its pools (units and License User per pool) and its tags."""
    return ok(license_detail(visible_license_by_key(key)))


def license_detail(license: License) -> dict:
    """A license as the API shows it (`LicenseDetail`)."""
    today = date.today()
    pools = db.session.execute(
        select(
            LicensePool.source,
            Company.portal_id,
            Site.name,
            license_user_expr().label("license_user"),
            PoolLicense.usage,
            PoolLicense.quantity,
            status_expr(today).label("status"),
        )
        .select_from(PoolLicense)
        .join(License, License.id == PoolLicense.license_id)
        .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
        .join(Company, Company.id == LicensePool.company_id)
        .outerjoin(Site, Site.id == LicensePool.site_id)
        .where(PoolLicense.license_id == license.id)
        .order_by(LicensePool.key)
    ).all()
    tags = db.session.scalars(
        select(Tag.name)
        .join(LicenseTag, LicenseTag.tag_id == Tag.id)
        .where(LicenseTag.license_id == license.id)
        .order_by(Tag.name)
    ).all()
    return {
        "key": license.public_key,
        "account_id": license.account_id,
        "company_portal_id": license.company.portal_id,
        "source": license.source,
        "product_code": license.product_code,
        "product_name": license.product_name,
        "quantity": license.quantity,
        "usage": license.usage,
        "state": license.state,
        "trial": bool(license.trial),
        "trial_expiration": _iso(license.trial_expiration),
        "expiration": _iso(license.expiration),
        "first_seen_at": license.first_seen_at.isoformat(),
        "pools": [
            {
                "source": source,
                "company_portal_id": portal_id,
                "site": site,
                "license_user": user,
                "used": used,
                "units": units,
                "status": status,
            }
            for source, portal_id, site, user, used, units, status in pools
        ],
        "tags": list(tags),
        "url": url_for("api.show_license", key=license.public_key, _external=True),
    }


@bp.post("/licenses/<key>/tags")
@spec.validate(json=TagBody, resp=responses(200, LicenseDetail, 403, 409, 422), tags=["tags"])
def add_license_tag(key: str, json: TagBody):
    """Put a tag on a license (R19: a plain name; a no-op when it is there already)."""
    begin_write(db.session)
    license = visible_license_by_key(key)
    try:
        add_tag(license, json.name, current_user._get_current_object())
        db.session.commit()
    except TagError as error:
        db.session.rollback()
        raise problem(422, "invalid-tag", str(error), parameter="name") from None
    except IntegrityError:
        db.session.rollback()
        raise problem(409, "conflict", "The tags changed at the same moment; retry.") from None
    return license_detail(license)


@bp.delete("/licenses/<key>/tags/<path:name>")
@spec.validate(resp=responses(200, LicenseDetail, 403), tags=["tags"])
def remove_license_tag(key: str, name: str):
    """Take a tag off a license (404 when the license does not carry it)."""
    begin_write(db.session)
    license = visible_license_by_key(key)
    tag = db.session.scalar(
        select(Tag)
        .join(LicenseTag, and_(LicenseTag.tag_id == Tag.id, LicenseTag.license_id == license.id))
        .where(Tag.name == " ".join(name.split()))
    )
    if tag is None:
        raise _not_found()
    remove_tag(license, tag, current_user._get_current_object())
    db.session.commit()
    return license_detail(license)


@bp.get("/tags")
@spec.validate(query=TagQuery, resp=responses(200, TagList), tags=["tags"])
def list_tags(query: TagQuery):
    """The tags the token's user sees, with how many of their licenses carry each."""
    page = tag_page(current_scope(), (query.q or "").strip(), query.page, query.per_page)
    items = [{"name": row.name, "licenses": int(row.licenses or 0)} for row in page.items]
    return ok({"items": items, **page_info(page, query.model_dump(exclude_defaults=True))})


@bp.post("/tags/rename")
@spec.validate(json=TagRenameBody, resp=responses(200, TagRenamed, 403, 409, 422), tags=["tags"])
def rename(json: TagRenameBody):
    """Rename a tag on every license (R09; an existing name merges the two). An operator's
    rename of a tag also used outside its part of the tree renames it on that part only, and
    `merged` is true only for a merge into a tag the operator can see (issue 15)."""
    if current_user.is_customer:
        raise _not_found()
    begin_write(db.session)
    scope = current_scope()
    row = db.session.execute(
        tag_counts_select(scope).where(Tag.name == " ".join(json.name.split()))
    ).first()
    if row is None:
        raise _not_found()
    try:
        tag = db.session.get(Tag, row.id)
        if tag is None:
            raise _not_found()
        count, merged = rename_as(tag, bool(row.outside), json.new_name, current_user, scope)
        db.session.commit()
    except TagError as error:
        db.session.rollback()
        raise problem(422, "invalid-tag", str(error), parameter="new_name") from None
    except IntegrityError:
        db.session.rollback()
        raise problem(409, "conflict", "Another tag got that name at the same moment.") from None
    return {"name": " ".join(json.new_name.split()), "licenses": count, "merged": merged}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
