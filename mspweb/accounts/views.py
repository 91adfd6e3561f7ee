"""The Accounts pages (administrators only): list, add (import), synchronize, remove pools.

Customer users get 404 and operators 403 on every URL here, forged POSTs included.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mspweb.access import require_admin
from mspweb.accounts.forms import AddAccountForm
from mspweb.accounts.queries import account_rows, get_account
from mspweb.audit import record
from mspweb.extensions import db
from mspweb.htmx_utils import render, wants_fragment
from mspweb.sync_history.views import LICENSES_CHANGED, status_context

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

#: The htmx event that makes the Accounts list reload itself (after an import or a removal).
ACCOUNTS_CHANGED = "accounts-changed"


@bp.before_request
@login_required
def _admins_only() -> None:
    """Every Accounts URL is for administrators."""
    require_admin()


@bp.get("")
def index() -> ResponseReturnValue:
    """The imported accounts, with state, last and next sync, and counts."""
    return render("accounts/index.html", "accounts/_list.html", rows=account_rows(), form=None)


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """The "Add account" form; a valid POST imports the account and starts its first sync.

    Invalid input and refusals (R01, R02, wrong credentials, unreachable portal, duplicate)
    come back on the form with status 422. A success shows the Accounts list, where the new
    account's first synchronization is running live.
    """
    form = AddAccountForm()
    if not form.is_submitted():
        return _form_response(form, 200)
    if not form.validate():
        return _form_response(form, 422)
    from mspweb.accounts.service import ImportRefused, import_account

    try:
        account, run = import_account(
            form.msp_url.data or None,
            form.business_url.data or None,
            form.username.data,
            form.password.data,
            requested_by=current_user._get_current_object(),
            enqueue_sync=True,
        )
    except ImportRefused as refusal:
        return _form_response(form, 422, refusal=refusal)
    if not wants_fragment():
        flash(f"Account {account.name} imported. Its first synchronization has started.", "success")
        return redirect(
            url_for("syncs.status", run_id=run.id) if run else url_for("accounts.index")
        )
    return render(
        "accounts/index.html",
        "accounts/_imported.html",
        hx={"retarget": "#accounts-list", "reswap": "outerHTML"},
        rows=account_rows(),
        imported=account,
    )


def _form_response(form: AddAccountForm, status: int, refusal=None) -> ResponseReturnValue:
    """The form as a fragment (htmx) or inside the Accounts page, with `status`."""
    rows = [] if wants_fragment() else account_rows()
    return render(
        "accounts/index.html", "accounts/_form.html", status, rows=rows, form=form, refusal=refusal
    )


@bp.post("/<int:account_id>/sync")
def sync(account_id: int) -> ResponseReturnValue:
    """Start a synchronization (R14), or join the one already queued or running.

    A disconnected account (pools removed) is reconnected by a successful sync.
    """
    account = get_account(account_id)
    from mspweb.sync.lifecycle import SyncRefused
    from mspweb.sync.queueing import request_sync

    try:
        run = request_sync(
            account, trigger="manual", requested_by=current_user._get_current_object()
        )
    except SyncRefused as refusal:
        abort(409, description=refusal.message)
    if not wants_fragment():
        return redirect(url_for("syncs.status", run_id=run.id))
    return render("sync_history/status.html", "sync_history/_status.html", **status_context(run))


@bp.get("/<int:account_id>/remove-pools")
def remove_pools_confirm(account_id: int) -> ResponseReturnValue:
    """The confirmation (R11): which account, and how many pools and licenses will go."""
    account = get_account(account_id)
    from mspweb.accounts.pools import pool_removal_preview

    pools, licenses = pool_removal_preview(account)
    return render(
        "accounts/remove_pools.html",
        "accounts/_remove_pools.html",
        account=account,
        pools=pools,
        licenses=licenses,
    )


@bp.post("/<int:account_id>/remove-pools")
def remove_pools(account_id: int) -> ResponseReturnValue:
    """Remove every pool of the account and their licenses in one step (R11)."""
    account = get_account(account_id)
    from mspweb.accounts.pools import remove_pools as remove_account_pools
    from mspweb.sync.lifecycle import SyncRefused

    try:
        result = remove_account_pools(account.id, requested_by=current_user._get_current_object())
    except SyncRefused as refusal:
        abort(409, description=refusal.message)
    message = (
        f"Removed {result.pools} pools and {result.licenses} licenses of {account.name}. "
        "Its companies now show as unlinked."
    )
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("accounts.index"))
    return render(
        "accounts/remove_pools.html",
        "accounts/_removed.html",
        hx={"trigger": f"{LICENSES_CHANGED}, {ACCOUNTS_CHANGED}"},
        account=account,
        message=message,
    )


@bp.post("/<int:account_id>/skip-setup-for-new")
def skip_setup_for_new(account_id: int) -> ResponseReturnValue:
    """Turn the setting "Skip setup for all new customers" (R17) on (`enabled=1`) or off.

    The next synchronizations mark the customers they add as set up (setup skipped).
    """
    account = get_account(account_id)
    account.skip_setup_for_new = request.form.get("enabled") == "1"
    record(
        "account.skip_setup_for_new",
        account.name,
        details={"account_id": account.id, "enabled": account.skip_setup_for_new},
        user=current_user._get_current_object(),
    )
    db.session.commit()
    state = "on" if account.skip_setup_for_new else "off"
    message = f"Skip setup for all new customers of {account.name} is {state}."
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("accounts.index"))
    return render(
        "accounts/index.html", "accounts/_setup_setting.html", account=account, message=message
    )
