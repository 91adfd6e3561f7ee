"""What changed: a sync run's Changes, an account's Changes timeline, and the History of a
license and of a customer, each with the user's scope (R12).

Administrators and operators see the run and account lists (operators only their subtree's
records); every user sees the History of the licenses and companies within its scope, so a
customer user sees its own company's history. A forged id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Select

from mspweb.access import require_staff
from mspweb.changelog import queries
from mspweb.changelog.export import csv_response
from mspweb.changelog.history import company_timeline, license_timeline, tag_edit_words
from mspweb.changelog.records import KIND_LABELS
from mspweb.extensions import db, login_manager
from mspweb.htmx_utils import render, wants_fragment
from mspweb.licenses.lookups import visible_company, visible_license
from mspweb.models import Account
from mspweb.scope import current_scope
from mspweb.sync_history.queries import get_visible_run

bp = Blueprint("changes", __name__)


@bp.before_request
def _signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        change_kinds=KIND_LABELS, tag_edit_words=tag_edit_words
    )
)


def _list(
    title: str,
    endpoint: str,
    ids: dict,
    query: Callable[[queries.ChangeFilters], Select],
    counts: Callable[[queries.ChangeFilters], dict[str, int]],
    back: tuple,
) -> ResponseReturnValue:
    """A change list (a run's or an account's): the page, or the panel for htmx."""
    filters = queries.ChangeFilters.from_args(request.args)
    page = queries.change_page(query(filters), filters.page)
    # the canonical URL (no empty parameters) goes into the address bar and history
    headers = (
        {"HX-Push-Url": url_for(endpoint, **ids, **filters.args())} if wants_fragment() else {}
    )
    return render(
        "changes/list.html",
        "changes/_panel.html",
        title=title,
        endpoint=endpoint,
        ids=ids,
        filters=filters,
        page=page,
        counts=counts(filters),
        back=back,
        headers=headers,
    )


@bp.get("/changes")
def index() -> ResponseReturnValue:
    """Changes: the accounts whose change timeline the user may open."""
    require_staff()
    from mspweb.sync_history.queries import visible_accounts

    return render("changes/index.html", "changes/_accounts.html", accounts=visible_accounts())


@bp.get("/syncs/<int:run_id>/changes")
def run_changes(run_id: int) -> ResponseReturnValue:
    """The Changes of one sync run, grouped by kind, filtered and paged by the URL."""
    require_staff()
    run = get_visible_run(run_id)
    scope = current_scope()
    return _list(
        f"Changes of synchronization {run.id} ({run.account.name})",
        "changes.run_changes",
        {"run_id": run.id},
        lambda filters: queries.run_changes(scope, run.id, filters),
        lambda filters: queries.kind_counts(scope, filters, sync_run_id=run.id),
        ("syncs.status", {"run_id": run.id}, "This synchronization"),
    )


@bp.get("/syncs/<int:run_id>/changes.csv")
def run_changes_csv(run_id: int) -> ResponseReturnValue:
    """The run's changes (filters as on the page) as CSV."""
    require_staff()
    run = get_visible_run(run_id)
    filters = queries.ChangeFilters.from_args(request.args)
    return csv_response(
        queries.run_changes(current_scope(), run.id, filters), f"changes-run-{run.id}"
    )


def _account(account_id: int) -> Account:
    require_staff()
    current_scope().require_account(account_id)
    account = db.session.get(Account, account_id)
    if account is None:
        from flask import abort

        abort(404)
    return account


@bp.get("/accounts/<int:account_id>/changes")
def account_changes(account_id: int) -> ResponseReturnValue:
    """The account's Changes: a timeline across its syncs, filtered by kind, customer,
    product and date."""
    account = _account(account_id)
    scope = current_scope()
    return _list(
        f"Changes of {account.name}",
        "changes.account_changes",
        {"account_id": account.id},
        lambda filters: queries.account_changes(scope, account.id, filters),
        lambda filters: queries.kind_counts(scope, filters, account_id=account.id),
        ("syncs.index", {"account": account.id}, "Synchronizations of this account"),
    )


@bp.get("/accounts/<int:account_id>/changes.csv")
def account_changes_csv(account_id: int) -> ResponseReturnValue:
    """The account's changes (filters as on the page) as CSV."""
    account = _account(account_id)
    filters = queries.ChangeFilters.from_args(request.args)
    query = queries.account_changes(current_scope(), account.id, filters)
    return csv_response(query, f"changes-account-{account.id}")


@bp.get("/licenses/<int:license_id>/history")
def license_history(license_id: int) -> ResponseReturnValue:
    """A license's History: its changes and people's tag edits, newest first."""
    scope = current_scope()
    license = visible_license(license_id, scope)
    return render(
        "changes/license_history.html",
        "changes/_license_history.html",
        license=license,
        entries=license_timeline(scope, license),
    )


@bp.get("/customers/<int:company_id>/history")
def company_history(company_id: int) -> ResponseReturnValue:
    """A customer's History: renames, moves, status, and its licenses' changes."""
    scope = current_scope()
    company = visible_company(company_id, scope)
    assert company is not None  # an id always finds a company or gives 404
    return render(
        "changes/company_history.html",
        "changes/_company_history.html",
        company=company,
        entries=company_timeline(scope, company.id),
    )
