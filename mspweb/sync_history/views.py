"""Sync pages: a run's live status (a fragment that polls itself) and the Sync history."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select

from mspweb.access import require_staff
from mspweb.extensions import db
from mspweb.htmx_utils import render
from mspweb.models import Account, AccountState, SyncRun
from mspweb.models.sync import ACTIVE_STATUSES
from mspweb.pagination import page_number
from mspweb.scope import current_scope
from mspweb.sync import progress as progress_words
from mspweb.sync.progress import RunProgress, run_progress
from mspweb.sync_history.queries import (
    STATUSES,
    HistoryFilters,
    get_visible_run,
    history_page,
    visible_accounts,
)

bp = Blueprint("syncs", __name__, url_prefix="/syncs")

#: The htmx event a finished sync sends, so license tables (and anything else) refresh.
LICENSES_CHANGED = "licenses-changed"


@bp.before_request
@login_required
def _staff_only() -> None:
    """Sync pages are for administrators and operators; customer users get 404."""
    require_staff()


@bp.get("")
def index() -> ResponseReturnValue:
    """Sync history: every run the user may see, newest first, filtered and paged by the URL."""
    filters = HistoryFilters.from_args(request.args)
    if filters.account:
        current_scope().require_account(filters.account)  # a forged account id: 404
    page = history_page(filters, page_number())
    return render(
        "sync_history/index.html",
        "sync_history/_history.html",
        page=page,
        filters=filters,
        accounts=visible_accounts(),
        statuses=STATUSES,
    )


@bp.get("/<int:run_id>/status")
def status(run_id: int) -> ResponseReturnValue:
    """The status of one run: the polling fragment for htmx, a full page when opened directly.

    The polling fragment asks with `poll=1`; the first answer after the run finished carries
    `HX-Trigger: licenses-changed` (and no further polling), so the license table refreshes.
    """
    from mspweb.sync.recovery import refresh_stale_runs

    run = get_visible_run(run_id)
    if run.is_active and refresh_stale_runs(run.account_id):
        db.session.commit()  # ends the read transaction: the run is read again, now failed
    finished = request.args.get("poll") and not run.is_active
    return render(
        "sync_history/status.html",
        "sync_history/_status.html",
        hx={"trigger": LICENSES_CHANGED} if finished else None,
        **status_context(run),
    )


def status_context(run: SyncRun) -> dict:
    """What `sync_history/_status.html` needs (its progress comes from `sync_progress`)."""
    return {"run": run, "account": run.account}


@bp.app_template_global()
def sync_progress(run: SyncRun) -> RunProgress:
    """The sync engine's view of how far `run` got: status, phase, done, total, percent, message."""
    return run_progress(run)


#: The words for a run's status and trigger, for templates: ``sync_words.status_words(s)``.
bp.add_app_template_global(progress_words, "sync_words")  # type: ignore[arg-type]  # a module of helpers


@dataclass(frozen=True)
class SyncTarget:
    """An account the "Synchronize licenses" button can start, with its run in progress."""

    account: Account
    run: SyncRun | None


@bp.app_template_global()
def sync_targets(account: Account | None = None, latest: bool = False) -> list[SyncTarget]:
    """The accounts a sync button is shown for: `account` (a disconnected one too: a sync
    reconnects it), or every active account.

    Empty for anyone but administrators (R14), so templates may include the button freely.
    Each comes with its run queued or running, so the page shows it (a second administrator
    sees the same run); with `latest`, with its latest run even when finished.
    """
    if not current_user.is_authenticated or not current_user.is_admin:
        return []
    if account is not None:
        accounts = [account]
    else:
        active = select(Account).where(Account.state == AccountState.ACTIVE)
        accounts = list(db.session.scalars(active.order_by(Account.name, Account.id)))
    if not accounts:
        return []
    ids = [item.id for item in accounts]
    if latest:
        newest = select(func.max(SyncRun.id)).where(SyncRun.account_id.in_(ids))
        runs_query = select(SyncRun).where(SyncRun.id.in_(newest.group_by(SyncRun.account_id)))
    else:
        runs_query = select(SyncRun).where(
            SyncRun.account_id.in_(ids), SyncRun.status.in_(ACTIVE_STATUSES)
        )
    runs = {run.account_id: run for run in db.session.scalars(runs_query)}
    return [SyncTarget(item, runs.get(item.id)) for item in accounts]
