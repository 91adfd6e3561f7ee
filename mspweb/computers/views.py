"""The Computers tree (R18): every company of the portal structure, with type and status.

The page opens two levels deep; deeper levels load when a node is opened
(`/computers/<id>/children`), which also renders a full page when opened directly.
Administrators see every account's tree, operators their subtree; customer users get 404.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_login import login_required

from mspweb.access import require_staff
from mspweb.computers.queries import ancestors, node_with_children, root_nodes
from mspweb.htmx_utils import render, wants_fragment

bp = Blueprint("computers", __name__, url_prefix="/computers")


@bp.before_request
@login_required
def _staff_only() -> None:
    """Customer users never see the Computers tree (404)."""
    require_staff()


@bp.get("")
def index() -> ResponseReturnValue:
    """The whole visible structure, two levels open."""
    return render("computers/index.html", "computers/_tree.html", nodes=root_nodes())


@bp.get("/<int:company_id>/children")
def children(company_id: int) -> ResponseReturnValue:
    """A company's children: the list fragment for htmx, else a page focused on that company."""
    node = node_with_children(company_id)
    return render(
        "computers/company.html",
        "computers/_children.html",
        node=node,
        nodes=node.children,
        path=[] if wants_fragment() else ancestors(node.company),
    )
