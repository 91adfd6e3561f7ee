"""Who sees what (R12): the one place where data is confined to a user's part of the tree.

Every query helper that returns companies, pools, licenses or tags filters through the
current `Scope`, so a page cannot forget it: administrators see everything, an operator sees
one company's subtree, a customer user sees its own company only.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, literal, select, true

from mspweb.models import Company, Role, User


@dataclass(frozen=True)
class Scope:
    """The part of the company tree a user may see."""

    role: str
    company_id: int | None = None

    @classmethod
    def for_user(cls, user: User | None) -> Scope:
        """The scope of `user` (Flask-Login's anonymous user included). A confined user
        without a company sees nothing."""
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(role="anonymous")
        if user.role == Role.ADMIN:
            return cls(role=Role.ADMIN.value)
        return cls(role=user.role, company_id=user.company_id)

    @property
    def is_unrestricted(self) -> bool:
        """True for administrators."""
        return self.role == Role.ADMIN

    @property
    def is_customer(self) -> bool:
        """True for customer users."""
        return self.role == Role.CUSTOMER

    def company_ids(self) -> Select[int] | None:
        """A SELECT of the visible company ids, or None when every company is visible."""
        if self.is_unrestricted:
            return None
        if self.company_id is None:
            return select(Company.id).where(literal(False))
        if self.role == Role.CUSTOMER:
            return select(literal(self.company_id))
        tree = select(Company.id).where(Company.id == self.company_id).cte(recursive=True)
        tree = tree.union_all(select(Company.id).where(Company.parent_id == tree.c.id))
        return select(tree.c.id)

    def covers(self, company_column: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
        """A WHERE clause limiting `company_column` (a company id column) to this scope."""
        ids = self.company_ids()
        if ids is None:
            return true()
        return company_column.in_(ids)

    def allows_company(self, company_id: int | None) -> bool:
        """True when the company with `company_id` is within this scope."""
        if company_id is None:
            return self.is_unrestricted
        if self.is_unrestricted:
            return True
        from mspweb.extensions import db

        visible = select(Company.id).where(Company.id == company_id, self.covers(Company.id))
        return bool(db.session.scalar(visible))

    def account_ids(self) -> Select[int] | None:
        """A SELECT of the ids of the accounts with a visible company (None: every account)."""
        ids = self.company_ids()
        if ids is None:
            return None
        return select(Company.account_id).where(Company.id.in_(ids))

    def allows_account(self, account_id: int) -> bool:
        """True when the account with `account_id` has a company within this scope."""
        if self.is_unrestricted:
            return True
        from mspweb.extensions import db

        visible = (
            select(Company.id)
            .where(Company.account_id == account_id, self.covers(Company.id))
            .limit(1)
        )
        return db.session.scalar(visible) is not None

    def require_account(self, account_id: int) -> None:
        """404 unless the account has a company within this scope (a forged id learns nothing)."""
        if not self.allows_account(account_id):
            abort(404)


def current_scope() -> Scope:
    """The scope of the signed-in user, computed once per request."""
    scope = g.get("mspweb_scope")
    if not isinstance(scope, Scope):
        scope = Scope.for_user(current_user)
        g.mspweb_scope = scope
    return scope
