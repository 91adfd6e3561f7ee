"""Managed Customers (R15, R16, R17): the list with statuses, "Skip setup" and "Set up".

Administrators and operators (within their subtree) use it; customer users get 404. "Skip
setup" is for both; the setup wizard (`customers.setup`, in `mspweb.customers.setup_views`)
creates logins and is for administrators only.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mspweb.access import require_staff
from mspweb.audit import record
from mspweb.customers import setup_views
from mspweb.customers.queries import (
    STATUSES,
    CustomerFilters,
    CustomerRow,
    customer_page,
    get_customer,
    status_counts,
)
from mspweb.extensions import db
from mspweb.htmx_utils import render, wants_fragment
from mspweb.menu import managed_customers_available
from mspweb.models import CustomerStatus, SetupState, User
from mspweb.models.base import utcnow
from mspweb.pagination import page_number

bp = Blueprint("customers", __name__, url_prefix="/customers")


@bp.before_request
@login_required
def _staff_only() -> None:
    """Customer users never see Managed Customers (404)."""
    require_staff()


@bp.app_template_global()
def customer_setup_available() -> bool:
    """True when the signed-in user may run the setup wizard (`customers.setup`): administrators."""
    return bool(current_user.is_admin)


@bp.get("")
def index() -> ResponseReturnValue:
    """The customers with status, parent MSP, licenses and seat usage; search, filter, pages."""
    filters = CustomerFilters.from_args(request.args)
    synchronized = managed_customers_available()
    counts = status_counts(filters) if synchronized else {}
    page = customer_page(filters, page_number(), counts) if synchronized else None
    return render(
        "customers/index.html",
        "customers/_list.html",
        synchronized=synchronized,
        filters=filters,
        page=page,
        counts=counts,
        statuses=[CustomerStatus(value) for value in STATUSES],
    )


@bp.post("/<int:company_id>/skip-setup")
def skip_setup(company_id: int) -> ResponseReturnValue:
    """Mark a customer as set up without creating a user (R15, R17); refused when unlinked."""
    row = get_customer(company_id)
    company = row.company
    if company.is_unlinked:
        message = (
            f"{company.name} is unlinked: it was removed in the portal or its account was removed, "
            "so it cannot be set up or skipped."
        )
        record(
            "customer.skip_setup",
            company.name,
            "refused",
            {"company_id": company.id},
            _user(),
            commit=True,
        )
        return _row_response(row, message, "error", 422)
    if company.setup_state == SetupState.NOT_SET_UP:
        company.setup_state = SetupState.SKIPPED.value
        company.setup_at = utcnow()
        record("customer.skip_setup", company.name, "ok", {"company_id": company.id}, _user())
        db.session.commit()
        message = f"Setup of {company.name} skipped: it now shows as set up."
    else:
        message = f"{company.name} is already set up."
    return _row_response(row, message, "success", 200)


def _row_response(
    row: CustomerRow, message: str, category: str, status: int
) -> ResponseReturnValue:
    """The customer's row with a message (htmx), or a redirect to the list with a flash."""
    if not wants_fragment():
        flash(message, category)
        return redirect(url_for("customers.index"))
    return render(
        "customers/index.html",
        "customers/_row.html",
        status,
        row=row,
        message=message,
        category=category,
    )


def _user() -> User:
    """The signed-in user object (not the proxy), for the audit log."""
    return current_user._get_current_object()


bp.add_url_rule("/<int:company_id>/setup", "setup", setup_views.setup, methods=["GET", "POST"])
