"""`/customers/<id>/setup`: the customer-setup wizard (R17), for administrators.

Step 1 (GET) is the form: a new login or an existing one, and the customer's group. Step 2
(a valid POST) sets the customer up and answers with the summary, which shows a generated
password this once (the response is not cached). Invalid input comes back on the form with
status 422; an unlinked or already set-up customer is refused with 409 and the reason.

Who may: administrators. Operators get 403: a setup creates or moves console logins, and
managing logins is an administrator's task (the Users page is theirs too). Customer users get
404 from the blueprint's guard; an id outside the user's scope, or a company that is not a
customer, is a 404 as well.

Registered on the `customers` blueprint by `mspweb.customers.views`.
"""

from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from mspweb.access import require_admin
from mspweb.audit import record
from mspweb.customers.forms import CustomerSetupForm
from mspweb.customers.queries import CustomerRow, get_customer
from mspweb.customers.setup import (
    SetupError,
    SetupRefused,
    check_can_set_up,
    default_group_name,
    set_up_customer,
)
from mspweb.database import begin_write
from mspweb.extensions import db
from mspweb.htmx_utils import render
from mspweb.models import User
from mspweb.webhooks.dispatch import after_setup_completed  # issue 13


def setup(company_id: int) -> ResponseReturnValue:
    """GET: the setup form; POST: set the customer up and show the summary."""
    require_admin()
    if request.method == "POST":
        begin_write(db.session)  # the state read for the checks stays true for the write
    row = get_customer(company_id)
    company = row.company
    if request.method == "POST":
        db.session.refresh(company, with_for_update=True)  # two administrators at once: one wins
    try:
        check_can_set_up(company)
    except SetupRefused as refusal:
        abort(409, description=refusal.message)
    form = CustomerSetupForm()
    if request.method == "GET":
        form.group_name.data = company.group_name or default_group_name(company)
        return _form(row, form)
    if not form.validate():
        return _form(row, form, 422)
    try:
        result = set_up_customer(
            company,
            form.mode.data,
            form.email.data,
            form.password.data,
            form.group_name.data,
            _user(),
        )
        db.session.commit()
        after_setup_completed(company_id)  # webhooks (issue 13): queued after the commit
    except SetupRefused as refusal:
        db.session.rollback()
        abort(409, description=refusal.message)
    except SetupError as error:
        db.session.rollback()
        _refused(company_id, str(error))
        field = getattr(form, error.field, form.email)
        field.errors = [*field.errors, str(error)]
        return _form(get_customer(company_id), form, 422)
    except IntegrityError:
        db.session.rollback()
        form.email.errors = ["A login with this email was created at the same moment. Try again."]
        return _form(get_customer(company_id), form, 422)
    response = render(
        "customers/setup_done.html",
        "customers/_setup_done.html",
        result=result,
        row=get_customer(company_id),
    )
    response.headers["Cache-Control"] = "no-store"  # the generated password is shown once
    return response


def _form(row: CustomerRow, form: CustomerSetupForm, status: int = 200) -> ResponseReturnValue:
    """The form (fragment for htmx, else inside the wizard's page) with `status`."""
    return render("customers/setup.html", "customers/_setup_form.html", status, row=row, form=form)


def _refused(company_id: int, reason: str) -> None:
    """Audit a refused setup (in its own transaction: the setup itself was rolled back)."""
    company = get_customer(company_id).company
    record(
        "customer.setup",
        company.name,
        "refused",
        {"company_id": company.id, "reason": reason},
        _user(),
        commit=True,
    )


def _user() -> User:
    """The signed-in user object (not the proxy), for the audit log."""
    return current_user._get_current_object()
