"""The Tag drift view (under Tags): licenses still tagged with a former name of their renamed
company, with a fix per row and one for all rows, and the undo of a fix.

Administrators see every account's drift; operators see and fix the drift of their subtree
only; customer users get 404 (they do not see the view at all).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mspweb.access import require_staff
from mspweb.database import begin_write
from mspweb.extensions import db
from mspweb.htmx_utils import render, wants_fragment
from mspweb.models import AuditEntry
from mspweb.params import query_int
from mspweb.scope import current_scope
from mspweb.sync_history.queries import visible_accounts
from mspweb.tags.drift import DriftError, drift_rows, fix_drift, undo_blocker, undo_fix
from mspweb.tags.service import MAX_TAG_LENGTH

bp = Blueprint("drift", __name__, url_prefix="/tags/drift")
bp.record_once(lambda state: state.app.jinja_env.globals.update(max_tag_length=MAX_TAG_LENGTH))


@bp.before_request
@login_required
def _staff_only() -> None:
    require_staff()


def _account_filter() -> int | None:
    account = query_int(request.values.get("account"))
    if account is not None:
        current_scope().require_account(account)  # a forged account: 404
    return account


def _panel(account: int | None, message: str | None = None, entries=(), status: int = 200):
    rows = drift_rows(current_scope(), account)
    return render(
        "tags/drift.html",
        "tags/_drift.html",
        status=status,
        rows=rows,
        account=account,
        accounts=visible_accounts(),
        message=message,
        entries=list(entries),
        total=sum(len(row.licenses) for row in rows),
    )


@bp.get("")
def index() -> ResponseReturnValue:
    """The drift rows, most licenses first (filter: `account`)."""
    return _panel(_account_filter())


@bp.post("/fix")
def fix() -> ResponseReturnValue:
    """Rename the tag to the current name on the licenses of one row (`company_id`, `tag`),
    or of every row shown (no `company`)."""
    begin_write(db.session)
    account = _account_filter()
    scope = current_scope()
    company = query_int(request.form.get("company_id"))
    rows = drift_rows(scope, account, company)
    if company is not None:
        if not scope.allows_company(company):
            abort(404)
        tag = request.form.get("tag")
        if tag is not None:
            rows = [row for row in rows if row.tag == tag]
    if not rows:
        message = "Nothing to fix: these licenses no longer carry a former name."
        return _done(account, message, [])
    entries = fix_drift(scope, rows, current_user)
    db.session.commit()
    licenses = sum(len(row.licenses) for row in rows)
    message = f"Renamed the tag to the current name on {licenses} licenses of {len(rows)} rows."
    return _done(account, message, entries)


@bp.post("/undo/<int:entry_id>")
def undo(entry_id: int) -> ResponseReturnValue:
    """Undo a drift fix from its audit entry (refused once a later edit touched its tags)."""
    begin_write(db.session)
    scope = current_scope()
    entry = db.session.get(AuditEntry, entry_id)
    if entry is None or entry.action != "tag.drift_fix":
        abort(404)
    if not scope.allows_company((entry.details or {}).get("company_id")):
        abort(404)
    try:
        count = undo_fix(scope, entry, current_user)
    except DriftError as error:
        db.session.rollback()
        if not wants_fragment():
            flash(str(error), "error")
            return redirect(url_for("drift.index"))
        return _panel(None, str(error), status=409)
    db.session.commit()
    former = (entry.details or {}).get("from")
    return _done(None, f"Undone: “{former}” is back on {count} licenses.", [])


def _done(account: int | None, message: str, entries):
    if not wants_fragment():
        flash(message, "success")
        target = url_for("drift.index", account=account) if account else url_for("drift.index")
        return redirect(target)
    return _panel(account, message, entries)


@bp.app_template_global()
def tag_drift_count() -> tuple[int, int] | None:
    """(licenses, companies) with tag drift for staff; None for customer users (no view)."""
    from mspweb.tags.drift import drift_count

    if not current_user.is_authenticated or current_user.is_customer:
        return None
    return drift_count(current_scope())


@bp.app_template_global()
def drift_undo_blocker(entry: AuditEntry) -> str | None:
    """For the audit log and the drift page: why a drift fix cannot be undone (None: it can)."""
    return undo_blocker(current_scope(), entry)
