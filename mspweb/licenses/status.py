"""A license's status, as a SQL CASE expression (to filter and sort by) and in words.

A license in a pool has exactly one status. When several apply, the first in this order wins:

1. ``unlinked``: the pool's company was removed in the portal or its account removed (R20);
2. ``suspended``: the portal says state 3;
3. ``expired``: the end date (trial end for trials) is past, or the portal says obsolete;
4. ``overused``: more units used than the pool holds;
5. ``trial``: a trial license that has not ended;
6. ``expiring``: ends within :data:`EXPIRING_SOON_DAYS` days;
7. ``normal``: none of the above.

Problems the user can act on come before plain facts, so an overused trial shows as overused.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, literal, or_

from mspweb.models import Company, License, LicenseState, PoolLicense

#: Days before the end date from which a license counts as expiring soon.
EXPIRING_SOON_DAYS = 30

#: Every status, in precedence order, with its label.
STATUSES: dict[str, str] = {
    "unlinked": "Unlinked",
    "suspended": "Suspended",
    "expired": "Expired",
    "overused": "Overused",
    "trial": "Trial",
    "expiring": "Expiring soon",
    "normal": "Normal",
}


def status_label(status: str) -> str:
    """The status in words ("Expiring soon")."""
    return STATUSES.get(status, status.capitalize())


def end_date_expr() -> ColumnElement:
    """The date the license ends: the trial end for trials, else the expiration."""
    return case(
        (
            and_(License.trial.is_(True), License.trial_expiration.is_not(None)),
            License.trial_expiration,
        ),
        else_=License.expiration,
    )


def end_date(license_row) -> date | None:
    """The same end date, from a row or object with `trial`, `trial_expiration`, `expiration`."""
    if license_row.trial and license_row.trial_expiration is not None:
        return license_row.trial_expiration
    return license_row.expiration


def status_expr(today: date | None = None) -> ColumnElement[str]:
    """The status as a SQL CASE over License, PoolLicense and the pool's Company."""
    today = today or date.today()
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    ends = end_date_expr()
    return case(
        (Company.unlinked_at.is_not(None), literal("unlinked")),
        (License.state == int(LicenseState.SUSPENDED), literal("suspended")),
        (or_(License.state == int(LicenseState.OBSOLETE), ends < today), literal("expired")),
        (PoolLicense.usage > PoolLicense.quantity, literal("overused")),
        (License.trial.is_(True), literal("trial")),
        (ends <= soon, literal("expiring")),
        else_=literal("normal"),
    )


def status_rank_expr(today: date | None = None) -> ColumnElement[int]:
    """The status's position in :data:`STATUSES`, to sort by (most urgent first)."""
    ranks = {name: position for position, name in enumerate(STATUSES)}
    return case(ranks, value=status_expr(today), else_=len(ranks))


def status_of(
    *,
    unlinked: bool,
    state: int,
    trial: bool,
    trial_expiration: date | None,
    expiration: date | None,
    usage: int,
    quantity: int,
    today: date | None = None,
) -> str:
    """The same status computed in Python (for rows built outside SQL, and for tests)."""
    today = today or date.today()
    ends = trial_expiration if trial and trial_expiration is not None else expiration
    if unlinked:
        return "unlinked"
    if state == LicenseState.SUSPENDED:
        return "suspended"
    if state == LicenseState.OBSOLETE or (ends is not None and ends < today):
        return "expired"
    if usage > quantity:
        return "overused"
    if trial:
        return "trial"
    if ends is not None and ends <= today + timedelta(days=EXPIRING_SOON_DAYS):
        return "expiring"
    return "normal"
