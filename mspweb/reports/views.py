"""The Reports pages (issue 10): License User report, Usage, Monthly billing.

Every page is scoped by R12 through `mspweb.scope` (a customer user sees its own company
only); parameters live in the URL; exports give exactly what the page shows.
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from mspweb.extensions import login_manager

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
def _signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.get("")
def index():
    """Reports start with the License User report."""
    return redirect(url_for("reports.license_users"))


from mspweb.reports import billing_views, license_user_views, usage_views  # noqa: E402, F401
