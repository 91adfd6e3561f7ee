"""Nodes of the Computers tree, confined to the current scope, three queries per level.

A level costs the companies themselves, their children counts and their license counts (two
GROUP BY queries over the level's ids), whatever the number of nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import Select, func, select

from mspweb.extensions import db
from mspweb.models import Company, License
from mspweb.scope import current_scope


@dataclass
class Node:
    """A company in the tree with its counts; `children` is filled for expanded levels only."""

    company: Company
    child_count: int = 0
    license_count: int = 0
    children: list[Node] | None = field(default=None)

    @property
    def status_label(self) -> str:
        """Unlinked (R20), a customer's status (R15), or linked."""
        if self.company.is_unlinked:
            return "Unlinked"
        if self.company.entity_type == 1007:
            return self.company.customer_status.label
        return "Linked"

    @property
    def status_code(self) -> str:
        """The status as a CSS-friendly code."""
        if self.company.is_unlinked:
            return "unlinked"
        if self.company.entity_type == 1007:
            return self.company.customer_status.value
        return "linked"


def _nodes(companies: list[Company]) -> list[Node]:
    """Wrap `companies` as nodes with their children and license counts (two grouped queries)."""
    if not companies:
        return []
    ids = [company.id for company in companies]
    scope = current_scope()
    children = dict(
        db.session.execute(
            select(Company.parent_id, func.count())
            .where(Company.parent_id.in_(ids), scope.covers(Company.id))
            .group_by(Company.parent_id)
        ).all()
    )
    licenses = dict(
        db.session.execute(
            select(License.company_id, func.count())
            .where(License.company_id.in_(ids))
            .group_by(License.company_id)
        ).all()
    )
    return [
        Node(company, children.get(company.id, 0), licenses.get(company.id, 0))
        for company in companies
    ]


def _ordered(query: Select) -> Select:
    """Managers and MSPs before their customers (by entity type), then by name."""
    return query.order_by(Company.entity_type, func.lower(Company.name), Company.id)


def root_nodes(expand: bool = True) -> list[Node]:
    """The tops of the visible tree (each account's root, or an operator's own company).

    With `expand`, the roots' children are loaded too, so the page opens two levels deep.
    """
    scope = current_scope()
    if scope.is_unrestricted:
        query = select(Company).where(Company.parent_id.is_(None))
    else:
        query = select(Company).where(Company.id == scope.company_id, scope.covers(Company.id))
    roots = _nodes(list(db.session.scalars(_ordered(query))))
    if expand:
        _expand(roots)
    return roots


def _expand(nodes: list[Node]) -> None:
    """Load the children of every node in `nodes` (one level, three queries in all)."""
    parents = [node for node in nodes if node.child_count]
    children_of: dict[int | None, list[Node]] = {}
    for node in nodes:
        node.children = children_of[node.company.id] = []
    if not parents:
        return
    scope = current_scope()
    children = _nodes(
        list(
            db.session.scalars(
                _ordered(
                    select(Company).where(
                        Company.parent_id.in_([node.company.id for node in parents]),
                        scope.covers(Company.id),
                    )
                )
            )
        )
    )
    for child in children:
        children_of[child.company.parent_id].append(child)


def node_with_children(company_id: int) -> Node:
    """A visible company with its children loaded, or 404 (nothing revealed)."""
    scope = current_scope()
    company = db.session.scalar(
        select(Company).where(Company.id == company_id, scope.covers(Company.id))
    )
    if company is None:
        abort(404)
    node = _nodes([company])[0]
    _expand([node])
    return node


def ancestors(company: Company) -> list[Company]:
    """The visible ancestors of `company`, top first (the tree is a few levels deep)."""
    scope = current_scope()
    path: list[Company] = []
    parent_id = company.parent_id
    while parent_id is not None and len(path) < 20 and scope.allows_company(parent_id):
        parent = db.session.get(Company, parent_id)
        if parent is None:
            break
        path.insert(0, parent)
        parent_id = parent.parent_id
    return path
