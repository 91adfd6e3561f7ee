"""Who may open a page: small guards shared by the console's views.

Data is confined by `mspweb.scope` where it is queried; these guards only decide whether a
role may use a page at all. Customer users get 404 for staff pages (nothing is revealed, not
even that the page exists); operators get 403 for administrator-only actions.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user


def require_staff() -> None:
    """Administrators and operators only: customer users get 404."""
    if not current_user.is_authenticated or current_user.is_customer:
        abort(404)


def require_admin() -> None:
    """Administrators only: customer users get 404, operators 403."""
    require_staff()
    if not current_user.is_admin:
        abort(403)
