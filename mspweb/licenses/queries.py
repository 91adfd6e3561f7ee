"""The one query builder for licenses in pools: used by the page, the CSV export and the CLI.

A row of the License Management table is a `PoolLicense` (a license's units in one pool). Its
License User (R10) is computed in SQL from the pool's company and site, so it always shows their
current names. Every query is confined to a `Scope` (R12) on the pool's company.

Filters on the pool side (scope, account, tree node, License User) become a set of pool ids,
and the license side is joined only when a filter or the sort reads it, so the 50,000-row tables
are reached through their indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    exists,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.orm import aliased

from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.licenses.status import end_date_expr, status_expr, status_rank_expr
from mspweb.models import Account, Company, License, LicensePool, LicenseTag, PoolLicense, Site, Tag
from mspweb.scope import Scope
from mspweb.sync.license_user import license_user_expression

#: Sorts that read the license row; "user" and "pool" read the pool side, "units" neither.
LICENSE_SORTS = frozenset({"key", "product", "expiration", "status", "tags"})

#: A tree node with more pools than this is filtered by a subquery, not a list (PostgreSQL).
MAX_LISTED_POOLS = 10_000


def license_user_expr() -> ColumnElement[str]:
    """R10: "Company" or "Company / Site", from the current names of the pool's company and site
    (the one definition, shared with the sync: `mspweb.sync.license_user`)."""
    return license_user_expression(Company, Site)


def pools_of_license_user(name: str) -> Select:
    """A SELECT of the ids of the pools whose License User is exactly `name`."""
    return (
        select(LicensePool.id)
        .join(Company, Company.id == LicensePool.company_id)
        .outerjoin(Site, Site.id == LicensePool.site_id)
        .where(license_user_expr() == name)
        .correlate(None)
    )


def subtree_ids(company_id: int) -> Select:
    """A SELECT of the ids of a company and every company below it."""
    tree = select(Company.id).where(Company.id == company_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Company.id).where(Company.parent_id == tree.c.id))
    return select(tree.c.id)


def contains_text(column: SQLColumnExpression[str], term: str) -> ColumnElement[bool]:
    """`column` contains `term`, ignoring case (SQLite's LIKE already ignores ASCII case)."""
    if db.engine.dialect.name == "sqlite":
        return column.contains(term, autoescape=True)
    return column.icontains(term, autoescape=True)


def _first_tags() -> Select:
    """Each tagged license with its alphabetically first tag (the Tags column's sort key)."""
    return (
        select(LicenseTag.license_id, func.min(Tag.name).label("first_tag"))
        .join(Tag, Tag.id == LicenseTag.tag_id)
        .group_by(LicenseTag.license_id)
    )


@dataclass(frozen=True)
class RowQuery:
    """The rows matching `filters` within `scope`: their ids in order, their count, their columns.

    `products` is the (code, name) list the user may see; a search matches product names
    through it, so the license table is read by its product-code index.
    """

    filters: LicenseFilters
    scope: Scope
    today: date
    products: tuple[tuple[str, str], ...] = ()

    def ids(self) -> Select:
        """The ids of every matching row, in display order (joins only what it needs)."""
        return self._ordered(self._filtered(select(PoolLicense.id)))

    def selecting(self, *columns: Any, pool_side: bool = False, sorting: bool = True) -> Select:
        """`columns` of the matching rows, unordered, with the joins the filters and the sort
        need (the paging module orders, groups and limits it); `pool_side` also joins the
        license, pool, company and site of each row, as the export needs; `sorting=False`
        for a look-up by id, which should not be planned as a walk in display order."""
        return self._filtered(select(*columns), pool_side=pool_side, sorting=sorting)

    def id_select(self) -> Select:
        """The ids of the matching rows, unordered (see `selecting`)."""
        return self._filtered(select(PoolLicense.id))

    def ordered(self, statement: Select) -> Select:
        """`statement` (from `selecting`) in display order."""
        return self._ordered(statement)

    def count(self) -> Select:
        """How many rows match."""
        narrow = self._filtered(select(PoolLicense.id), sorting=False).subquery()
        return select(func.count()).select_from(narrow)

    def rows(self) -> Select:
        """Every matching row with all its columns, in display order (the export's query)."""
        return self._ordered(self._filtered(select(*self._columns()), full=True))

    def rows_by_id(self, ids: list[int]) -> Select:
        """The columns of the rows `ids` (one page), still confined to the scope."""
        everything = RowQuery(LicenseFilters(), self.scope, self.today)
        statement = everything._filtered(select(*self._columns()), full=True, sorting=False)
        return statement.where(PoolLicense.id.in_(ids))

    def _pool_ids(self) -> Select | list[int] | None:
        """The pools the scope and the tree node allow (None: every pool).

        On PostgreSQL a tree node's pools are read first (kept with the data stamp) and given
        as a list: the planner estimates the recursive subtree at a tenth of the companies and
        then checks each row against it by a linear scan, where a list is hashed."""
        statement = self._pool_select()
        if (
            statement is None
            or self.filters.company is None
            or db.engine.dialect.name != "postgresql"
        ):
            return statement
        from mspweb.licenses.stamp import cache, data_stamp  # late: stamp imports this module

        filters, scope = self.filters, self.scope
        narrowing = (filters.account, filters.company, filters.customer, filters.pool, filters.user)
        key = ("pool-ids", scope.role, scope.company_id, *narrowing, data_stamp())
        ids = cache.get(key)
        if ids is None:
            ids = list(db.session.scalars(statement))
            cache.put(key, ids)
        return ids if len(ids) <= MAX_LISTED_POOLS else statement

    def _pool_select(self) -> Select | None:
        clauses = []
        if not self.scope.is_unrestricted:
            clauses.append(self.scope.covers(LicensePool.company_id))
        if self.filters.account is not None:
            clauses.append(LicensePool.account_id == self.filters.account)
        if self.filters.company is not None:
            clauses.append(LicensePool.company_id.in_(subtree_ids(self.filters.company)))
        if self.filters.customer is not None:  # that company's own pools only
            clauses.append(LicensePool.company_id == self.filters.customer)
        if self.filters.pool is not None:
            clauses.append(LicensePool.id == self.filters.pool)
        if self.filters.user is not None:  # R10: the pools whose License User this is
            clauses.append(LicensePool.id.in_(pools_of_license_user(self.filters.user)))
        if not clauses:
            return None
        return select(LicensePool.id).where(*clauses).correlate(None)

    def _search(self, term: str) -> ColumnElement[bool]:
        """Rows whose License User, license key or product name contains `term`.

        A UNION of the two ways to match, so that PostgreSQL estimates it as the short list it
        usually is (an OR of subqueries is guessed at three quarters of the table).
        """
        folded = term.casefold()
        codes = [code for code, name in self.products if folded in (name or "").casefold()]
        rows = aliased(PoolLicense)
        licenses = aliased(License)
        pools_by_user = (
            select(LicensePool.id)
            .join(Company, Company.id == LicensePool.company_id)
            .outerjoin(Site, Site.id == LicensePool.site_id)
            .where(contains_text(license_user_expr(), term))
        )
        keys = [licenses.public_key.contains(term, autoescape=True)]
        if db.engine.dialect.name != "sqlite" and term.upper() != term:
            keys.append(licenses.public_key.contains(term.upper(), autoescape=True))
        by_user = select(rows.id).where(rows.pool_id.in_(pools_by_user))
        # Keys are matched on the key index alone (narrower than the table), products by code.
        matching = union(
            select(licenses.id).where(or_(*keys)),
            select(licenses.id).where(licenses.product_code.in_(codes)),
        )
        by_license = select(rows.id).where(rows.license_id.in_(matching.subquery().select()))
        return PoolLicense.id.in_(union(by_user, by_license).subquery().select().correlate(None))

    def _filtered(
        self, statement: Select, *, full: bool = False, sorting: bool = True, pool_side=False
    ) -> Select:
        filters = self.filters
        sort = filters.sort if sorting else None
        wide = full or pool_side
        needs_license = wide or bool(filters.product or filters.status) or sort in LICENSE_SORTS
        needs_pool = wide or bool(filters.status) or sort in ("user", "pool", "status")
        statement = statement.select_from(PoolLicense)
        pools = self._pool_ids()
        # SQLite would often scan the rows and sort them all; where nothing narrows the rows
        # first, "+ 0" keeps it off the primary key of licenses and the pool index, so it
        # walks the license index in display order and stops at the page (PostgreSQL's
        # planner finds that plan by itself).
        by_sort = (
            sort in LICENSE_SORTS
            and pools is None
            and not (filters.tag or filters.q)
            and db.engine.dialect.name == "sqlite"
        )
        if needs_license:
            license_id = License.id + 0 if by_sort else License.id
            statement = statement.join(License, license_id == PoolLicense.license_id)
        if needs_pool:
            pool_id = PoolLicense.pool_id + 0 if by_sort else PoolLicense.pool_id
            statement = (
                statement.join(LicensePool, LicensePool.id == pool_id)
                .join(Company, Company.id == LicensePool.company_id)
                .outerjoin(Site, Site.id == LicensePool.site_id)
            )
        if full:
            statement = statement.join(Account, Account.id == LicensePool.account_id)
        if pools is not None:
            statement = statement.where(PoolLicense.pool_id.in_(pools))
        if filters.tag:
            tagged = select(LicenseTag.license_id).join(Tag, Tag.id == LicenseTag.tag_id)
            statement = statement.where(
                PoolLicense.license_id.in_(tagged.where(Tag.name == filters.tag).correlate(None))
            )
        if filters.untagged:
            statement = statement.where(
                ~exists().where(LicenseTag.license_id == PoolLicense.license_id)
            )
        if filters.product:
            statement = statement.where(License.product_code == filters.product)
        if filters.status:
            statement = statement.where(status_expr(self.today) == filters.status)
        if filters.q:
            statement = statement.where(self._search(filters.q))
        if sort == "tags":
            first = _first_tags().subquery("first_tags")
            statement = statement.outerjoin(first, first.c.license_id == PoolLicense.license_id)
        return statement

    def sort_columns(self) -> list[Any]:
        """The columns of the display order, ascending, ending with a unique tie-breaker.

        Ties follow the sort's direction, so each order is one index walked forwards or
        backwards: by license key (key, status, expiration, tags), by product name and key,
        by units, or, for the pool-side sorts, by the pool and then its rows (`pool_id`,
        `license_id`: the pool's unique index).
        """
        sort = self.filters.sort
        if sort in ("user", "pool"):
            pool: list[Any] = [license_user_expr(), LicensePool.id]
            if sort == "pool":
                pool = [LicensePool.account_id, license_user_expr(), LicensePool.source]
                pool.append(LicensePool.id)
            return [*pool, PoolLicense.license_id]
        orderings: dict[str, Callable[[], list[Any]]] = {
            "key": lambda: [],
            "product": lambda: [License.product_name],
            "units": lambda: [PoolLicense.usage, PoolLicense.quantity],
            "expiration": lambda: [end_date_expr()],
            "status": lambda: [status_rank_expr(self.today)],
            "tags": lambda: [literal_column("first_tags.first_tag")],  # joined by `_filtered`
        }
        columns = orderings[sort]()
        if sort == "units":
            return [*columns, PoolLicense.id]
        return [*columns, License.public_key, PoolLicense.id]

    def _ordered(self, statement: Select) -> Select:
        columns = self.sort_columns()
        if self.filters.descending:
            columns = [column.desc() for column in columns]
        if self.filters.sort in ("expiration", "tags"):  # no end date / no tag: after the rest
            first = columns[0]
            columns[0] = first.nulls_first() if self.filters.descending else first.nulls_last()
        return statement.order_by(*columns)

    def _columns(self) -> list[SQLColumnExpression[Any]]:
        return [
            PoolLicense.id.label("row_id"),
            License.id.label("license_id"),
            License.version,
            License.public_key,
            License.product_code,
            License.product_name,
            license_user_expr().label("license_user"),
            PoolLicense.usage.label("used"),
            PoolLicense.quantity.label("units"),
            License.trial,
            License.trial_expiration,
            License.expiration,
            status_expr(self.today).label("status"),
            LicensePool.id.label("pool_id"),
            LicensePool.source.label("pool_source"),
            LicensePool.account_id,
            LicensePool.company_id,
            Site.name.label("site_name"),
            Account.name.label("account_name"),
        ]


def fetch_ids(statement: Select) -> list[int]:
    """Run a one-column SELECT of ids and return them, reading the DBAPI cursor directly.

    Tens of thousands of ids come back several times faster than through result rows.
    """
    result = db.session.connection().execute(statement)
    try:
        return [row[0] for row in result.cursor.fetchall()]
    finally:
        result.close()
