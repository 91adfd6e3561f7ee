"""License Management: the tree, the table of licenses in pools, inline and bulk tags, CSV.

Every parameter of the table lives in the URL; an htmx request gets the table fragment, any
other request (a bookmark, a reload, a boosted link, a history restore) the full page.
There is no route that moves a license between pools (R04).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from sqlalchemy import select

from mspweb.extensions import db, htmx, login_manager
from mspweb.htmx_utils import wants_fragment
from mspweb.licenses.export import csv_response
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.lookups import visible_company, visible_pool_name
from mspweb.licenses.status import STATUSES
from mspweb.licenses.table import Anchor, license_page
from mspweb.licenses.tree import build_tree
from mspweb.models import License, LicenseTag, Tag
from mspweb.scope import Scope, current_scope
from mspweb.tags import license_views as tag_views

bp = Blueprint("licenses", __name__)

#: The event the sync status fragment (and a bulk tag edit) sends when licenses changed.
LICENSES_CHANGED = "licenses-changed"


@bp.before_request
def _signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def current_filters() -> LicenseFilters:
    """The table's parameters from the query string; a forged tree node or account gives 404."""
    filters = LicenseFilters.from_args(request.args, current_app.config["LICENSES_PER_PAGE"])
    visible_company(filters.company)
    visible_company(filters.customer)
    visible_pool_name(filters.pool)
    if filters.account is not None:
        current_scope().require_account(filters.account)
    return filters


@bp.get("/licenses")
def index():
    """The License Management page, or its table fragment for htmx."""
    filters = current_filters()
    scope = current_scope()
    page = license_page(filters, scope, anchor=Anchor.from_args(request.args))
    context = {
        "filters": filters,
        "page": page,
        "statuses": STATUSES,
        "pool_removal": pool_removal_urls(page.rows),
        "company_name": _company_name(filters.company),
        "customer_name": _company_name(filters.customer),
        "pool_name": visible_pool_name(filters.pool),
    }
    if wants_fragment():
        # the canonical URL (no empty parameters) goes into the address bar and history,
        # unless the table is refreshing itself after a sync
        refreshing = htmx.trigger == "license-table"
        return htmx_response(
            render_template("licenses/_table.html", oob=True, **context),
            push_url=None if refreshing else url_for("licenses.index", **filters.args()),
        )
    tree = build_tree(scope)
    return Response(
        render_template(
            "licenses/index.html", tree=tree, open_ids=tree.open_ids(filters.company), **context
        )
    )


def _company_name(company_id: int | None) -> str | None:
    """The name of the tree node filtered by, for its filter chip."""
    company = visible_company(company_id)
    return company.name if company is not None else None


@bp.get("/licenses/tree")
def tree():
    """The whole tree fragment (refreshed after a sync); the page for a direct visit."""
    filters = current_filters()
    if not wants_fragment():
        return redirect(url_for("licenses.index", **filters.args()))
    license_tree = build_tree(current_scope())
    if "offset" in request.args:  # "Show more" at the top level: the next roots
        response = Response(
            render_template(
                "licenses/_tree_children.html",
                nodes=license_tree.roots,
                tree=license_tree,
                open_ids=set(),
                parent_id=None,
                offset=_offset(),
            )
        )
    else:
        response = Response(
            render_template(
                "licenses/_tree.html",
                tree=license_tree,
                filters=filters,
                open_ids=license_tree.open_ids(filters.company),
            )
        )
    response.vary.add("HX-Request")
    return response


def _offset() -> int:
    """The `offset` of a "Show more" request (bad values start at 0)."""
    return max(0, request.args.get("offset", 0, type=int) or 0)


@bp.get("/licenses/tree/<int:company_id>")
def tree_children(company_id: int):
    """The children of one tree node, loaded when it is opened."""
    visible_company(company_id)
    if not wants_fragment():
        return redirect(url_for("licenses.index", company=company_id))
    license_tree = build_tree(current_scope())
    node = license_tree.nodes.get(company_id)
    response = Response(
        render_template(
            "licenses/_tree_children.html",
            nodes=node.children if node else [],
            tree=license_tree,
            open_ids=set(),
            parent_id=company_id,
            offset=_offset(),
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.get("/licenses/export.csv")
def export():
    """The rows of the current filters as CSV, streamed (sort and filters as on the page)."""
    return csv_response(current_filters(), current_scope())


@bp.get("/licenses/tag-options")
def tag_options():
    """The tag suggestions (a datalist) for the tag inputs, loaded after the page."""
    if not wants_fragment():
        return redirect(url_for("tags.index"))
    return render_template("licenses/_tag_options.html", tag_names=tag_names(current_scope()))


def pool_removal_urls(rows) -> dict[int, str]:
    """For administrators: account id -> the pool-removal confirmation (R11) of the accounts
    on the page."""
    if not current_user.is_admin:
        return {}
    accounts = {row.account_id for row in rows}
    return {
        account_id: url_for("accounts.remove_pools_confirm", account_id=account_id)
        for account_id in accounts
    }


def tag_names(scope: Scope) -> list[str]:
    """Names of the tags the user may see, for the tag inputs' suggestions."""
    statement = select(Tag.name).order_by(Tag.name)
    if not scope.is_unrestricted:
        visible = select(LicenseTag.tag_id).join(License, License.id == LicenseTag.license_id)
        statement = statement.where(Tag.id.in_(visible.where(scope.covers(License.company_id))))
    return list(db.session.scalars(statement))


bp.add_url_rule("/licenses/<int:license_id>/tags", "add_tag", tag_views.add_tag, methods=["POST"])
bp.add_url_rule(
    "/licenses/<int:license_id>/tags/remove", "remove_tag", tag_views.remove_tag, methods=["POST"]
)
bp.add_url_rule("/licenses/tags", "bulk_tags", tag_views.bulk_tags, methods=["POST"])
