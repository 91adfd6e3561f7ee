"""The License Management tree (R07, R18): only companies with licenses, nested by ancestry.

A company is in the tree when the last synchronization found licenses for it
(`Company.in_license_tree`). Each node hangs under its nearest ancestor that is also in the tree
(and visible to the user), so an MSP Manager shows its MSPs and an MSP its customers even when
a company in between has no licenses. Counts are licenses in pools: a node's own, and its
total with everything below it (the rows its filter shows). All of it is confined to the scope.

The tree is built whole in Python from one narrow query (2,000 companies are a few
milliseconds), but rendered lazily: see `LicenseTree.open_ids`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.licenses.stamp import cache, data_stamp
from mspweb.models import Company, EntityType, LicensePool, PoolLicense
from mspweb.scope import Scope

#: Most nodes rendered open on a first visit; the children of closed nodes load when opened.
RENDER_BUDGET = 80

#: Trees with at least this many companies are cached with the data stamp.
CACHE_MIN_COMPANIES = 500

#: Most nodes rendered per level of the tree at once; the rest load on demand ("Show more").
LEVEL_LIMIT = 50


@dataclass
class TreeNode:
    """A company of the License Management tree."""

    id: int
    name: str
    entity_type: int | None
    unlinked: bool
    own_count: int = 0
    total_count: int = 0
    depth: int = 0
    children: list[TreeNode] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        """The company's type in words."""
        try:
            return EntityType(self.entity_type or 0).label
        except ValueError:
            return "Company"


@dataclass
class LicenseTree:
    """The whole tree for one user: its roots, and every node by company id."""

    roots: list[TreeNode]
    nodes: dict[int, TreeNode]
    parents: dict[int, int | None]

    def path_to(self, company_id: int | None) -> set[int]:
        """The ids of the node and of its ancestors in the tree (empty when not in the tree)."""
        path: set[int] = set()
        while company_id is not None and company_id in self.nodes:
            path.add(company_id)
            company_id = self.parents.get(company_id)
        return path

    def open_ids(self, selected: int | None) -> set[int]:
        """Nodes rendered open: level by level from the roots while the page stays under
        `RENDER_BUDGET` nodes (a small tree opens fully, a big one shows its top), plus the path
        to the selected node (so a bookmarked tree-node filter shows where it is)."""
        opened: set[int] = set()
        shown = len(self.roots)
        level = list(self.roots)
        while level:
            next_level = []
            for node in level:
                if node.children and shown + len(node.children) <= RENDER_BUDGET:
                    opened.add(node.id)
                    shown += len(node.children)
                    next_level.extend(node.children)
            level = next_level
        return opened | self.path_to(selected)

    def window(self, nodes: list[TreeNode], offset: int, keep: set[int]) -> LevelWindow:
        """At most `LEVEL_LIMIT` of one level's `nodes` from `offset`, plus any node in `keep`
        (the selected node's path) outside that window, so a level of 2,000 customers renders
        a bounded number of nodes whatever its size."""
        offset = max(0, offset)
        shown = nodes[offset : offset + LEVEL_LIMIT]
        end = offset + len(shown)
        extra = [node for node in nodes[end:] if node.id in keep] if keep else []
        return LevelWindow(shown + extra, end if end < len(nodes) else None, len(nodes) - end)


@dataclass
class LevelWindow:
    """The nodes of one level rendered now, and where the rest start (None: nothing left)."""

    nodes: list[TreeNode]
    next_offset: int | None
    remaining: int


def license_counts(scope: Scope) -> dict[int, int]:
    """Rows (licenses in pools) per pool company, within `scope`; cached with the data stamp."""
    key = ("tree-counts", scope.role, scope.company_id, data_stamp())
    counts = cache.get(key)
    if counts is None:
        statement = (
            select(LicensePool.company_id, func.count(PoolLicense.id))
            .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
            .where(scope.covers(LicensePool.company_id))
            .group_by(LicensePool.company_id)
        )
        counts = dict(db.session.execute(statement).all())
        cache.put(key, counts)
    return counts


def build_tree(scope: Scope) -> LicenseTree:
    """The License Management tree the user may see.

    A big tree (`CACHE_MIN_COMPANIES` or more) is kept with the data stamp: company names,
    the tree flags and the counts change only through a synchronization or a pool removal,
    which change the stamp. Callers only read the tree.
    """
    key = ("tree", scope.role, scope.company_id, data_stamp())
    cached = cache.get(key)
    if cached is not None:
        return cached
    tree = _build_tree(scope)
    if len(tree.parents) >= CACHE_MIN_COMPANIES:
        cache.put(key, tree)
    return tree


def _build_tree(scope: Scope) -> LicenseTree:
    rows = db.session.execute(
        select(
            Company.id,
            Company.parent_id,
            Company.name,
            Company.entity_type,
            Company.in_license_tree,
            Company.unlinked_at.is_not(None),
        ).where(scope.covers(Company.id))
    ).all()
    counts = license_counts(scope)
    parent_of = {row[0]: row[1] for row in rows}
    totals = _subtree_totals(parent_of, counts)
    nodes = {
        company_id: TreeNode(
            company_id,
            name,
            entity_type,
            bool(unlinked),
            counts.get(company_id, 0),
            totals.get(company_id, 0),
        )
        for company_id, _, name, entity_type, in_tree, unlinked in rows
        if in_tree
    }
    parents: dict[int, int | None] = {}
    roots: list[TreeNode] = []
    for company_id, node in nodes.items():
        ancestor = parent_of.get(company_id)
        while ancestor is not None and ancestor not in nodes:
            ancestor = parent_of.get(ancestor)
        parents[company_id] = ancestor
        (nodes[ancestor].children if ancestor is not None else roots).append(node)
    for node in [*roots, *nodes.values()]:
        node.children.sort(key=_order)
    roots.sort(key=_order)
    _set_depths(roots, 0)
    return LicenseTree(roots, nodes, parents)


def _subtree_totals(parent_of: dict[int, int | None], counts: dict[int, int]) -> dict[int, int]:
    """Each company's own count plus everything below it in the company tree."""
    totals: dict[int, int] = defaultdict(int)
    for own_id, count in counts.items():
        seen: set[int] = set()
        company_id: int | None = own_id
        while company_id is not None and company_id not in seen:
            seen.add(company_id)
            totals[company_id] += count
            company_id = parent_of.get(company_id)
    return totals


def _order(node: TreeNode) -> tuple:
    return (node.entity_type or 9999, node.name.casefold(), node.id)


def _set_depths(nodes: list[TreeNode], depth: int) -> None:
    stack = [(node, depth) for node in nodes]
    while stack:
        node, level = stack.pop()
        node.depth = level
        stack.extend((child, level + 1) for child in node.children)
