"""Finding licenses, companies and tags within the user's scope (R12), or a 404.

A forged request (another customer's license, company or tag id in a URL or a form field) gets
the same 404 as an id that does not exist, so it learns nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from flask import abort
from sqlalchemy import Select, case, func, select

from mspweb.extensions import db
from mspweb.licenses.queries import contains_text, license_user_expr
from mspweb.models import Company, License, LicensePool, LicenseTag, Site, Tag
from mspweb.pagination import Page, paginate
from mspweb.params import in_range
from mspweb.scope import Scope, current_scope

#: Most licenses one bulk request may name.
MAX_BULK = 1000


def visible_license(license_id: int, scope: Scope | None = None) -> License:
    """The license with this id if the user may see it, else 404."""
    scope = scope or current_scope()
    license = db.session.scalar(
        select(License).where(License.id == license_id, scope.covers(License.company_id))
    )
    if license is None:
        abort(404)
    return license


def visible_license_ids(raw_ids: Iterable[str], scope: Scope | None = None) -> list[int]:
    """The license ids of a bulk form, all of them visible to the user, else 404 (or 400)."""
    scope = scope or current_scope()
    try:
        ids = sorted({int(value) for value in raw_ids})
    except (TypeError, ValueError):
        abort(400, description="The selection is not a list of licenses.")
    if not all(in_range(number) for number in ids):
        abort(404)  # no license has such an id
    if len(ids) > MAX_BULK:
        abort(400, description=f"Select at most {MAX_BULK} licenses at a time.")
    if not ids:
        return []
    found = db.session.scalar(
        select(func.count(License.id)).where(License.id.in_(ids), scope.covers(License.company_id))
    )
    if found != len(ids):
        abort(404)
    return ids


def visible_company(company_id: int | None, scope: Scope | None = None) -> Company | None:
    """The company of a tree-node filter if the user may see it, else 404 (None stays None)."""
    if company_id is None:
        return None
    scope = scope or current_scope()
    company = db.session.scalar(
        select(Company).where(Company.id == company_id, scope.covers(Company.id))
    )
    if company is None:
        abort(404)
    return company


def visible_pool_name(pool_id: int | None, scope: Scope | None = None) -> str | None:
    """The License User of a pool filtered by, if the user may see that pool, else 404."""
    if pool_id is None:
        return None
    scope = scope or current_scope()
    name = db.session.scalar(
        select(license_user_expr())
        .select_from(LicensePool)
        .join(Company, Company.id == LicensePool.company_id)
        .outerjoin(Site, Site.id == LicensePool.site_id)
        .where(LicensePool.id == pool_id, scope.covers(LicensePool.company_id))
    )
    if name is None:
        abort(404)
    return name


def tag_counts_select(scope: Scope) -> Select:
    """Every tag the user may see, with how many of its licenses the user sees (`licenses`) and
    whether it is on licenses outside the scope (`shared`, always False for administrators)."""
    if scope.is_unrestricted:
        return (
            select(
                Tag.id,
                Tag.name,
                func.count(LicenseTag.license_id).label("licenses"),
                func.min(0).label("outside"),
            )
            .outerjoin(LicenseTag, LicenseTag.tag_id == Tag.id)
            .group_by(Tag.id, Tag.name)
        )
    visible = scope.covers(License.company_id)
    in_scope = func.sum(case((visible, 1), else_=0))
    return (
        select(
            Tag.id,
            Tag.name,
            in_scope.label("licenses"),
            func.sum(case((visible, 0), else_=1)).label("outside"),
        )
        .join(LicenseTag, LicenseTag.tag_id == Tag.id)
        .join(License, License.id == LicenseTag.license_id)
        .group_by(Tag.id, Tag.name)
        .having(in_scope > 0)
    )


def tag_page(scope: Scope, search: str, number: int, per_page: int) -> Page:
    """One page of the tags the user may see, by name, each with its counts (see
    `tag_counts_select`). The page's tags are chosen first, then counted, so a page costs the
    same with 50 tags or 50,000 tagged licenses."""
    statement = select(Tag.id, Tag.name)
    if not scope.is_unrestricted:
        in_scope = select(LicenseTag.tag_id).join(License, License.id == LicenseTag.license_id)
        statement = statement.where(Tag.id.in_(in_scope.where(scope.covers(License.company_id))))
    if search:
        statement = statement.where(contains_text(Tag.name, search))
    page = paginate(
        statement.order_by(func.lower(Tag.name), Tag.id), number, per_page, scalars=False
    )
    ids = [row.id for row in page.items]
    counted = (
        {row.id: row for row in db.session.execute(tag_counts_select(scope).where(Tag.id.in_(ids)))}
        if ids
        else {}
    )
    rows = [counted.get(row.id) or TagRow(row.id, row.name, 0, 0) for row in page.items]
    return Page(items=rows, number=page.number, per_page=per_page, total=page.total)


class TagRow(NamedTuple):
    """A tag with how many visible licenses carry it and how many outside the scope."""

    id: int
    name: str
    licenses: int
    outside: int


def visible_tag(tag_id: int, scope: Scope | None = None):
    """The tag with its counts (see `tag_counts_select`) if the user may see it, else 404."""
    scope = scope or current_scope()
    row = db.session.execute(tag_counts_select(scope).where(Tag.id == tag_id)).first()
    if row is None:
        abort(404)
    return row


def tags_by_license(license_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """The tags (id, name) of each license, sorted by name, in one query."""
    tags: dict[int, list[tuple[int, str]]] = {license_id: [] for license_id in license_ids}
    if not license_ids:
        return tags
    found = db.session.execute(
        select(LicenseTag.license_id, Tag.id, Tag.name)
        .join(Tag, Tag.id == LicenseTag.tag_id)
        .where(LicenseTag.license_id.in_(set(license_ids)))
        .order_by(Tag.name)
    )
    for license_id, tag_id, name in found:
        tags[license_id].append((tag_id, name))
    return tags


def product_choices(scope: Scope) -> tuple[tuple[str, str], ...]:
    """(code, name) of every product among the licenses the user may see, by name."""
    name = func.min(License.product_name)
    statement = select(License.product_code, name).group_by(License.product_code).order_by(name)
    if not scope.is_unrestricted:
        statement = statement.where(scope.covers(License.company_id))
    return tuple((code, product) for code, product in db.session.execute(statement))
