"""`/api/v1/accounts` and `/api/v1/syncs`: accounts (administrators), sync runs (staff).

Starting a sync answers 202 with the run, whether it started it or joined the one already
queued or running (R14). Sync runs are shown to operators for the accounts of their subtree.
"""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from mspweb.api.blueprint import bp
from mspweb.api.paging import check_id, ok, page_info, require_admin, require_staff
from mspweb.api.problems import problem
from mspweb.api.schemas import AccountList, AccountOut, SyncQuery, SyncRunList, SyncRunOut
from mspweb.api.spec import responses, spec
from mspweb.extensions import db
from mspweb.models import Account, SyncRun
from mspweb.pagination import paginate
from mspweb.scope import current_scope
from mspweb.sync_history.queries import HistoryFilters, get_visible_run, history_query

COUNTS = (
    "companies_seen",
    "companies_added",
    "companies_renamed",
    "companies_unlinked",
    "licenses_seen",
    "licenses_added",
    "licenses_changed",
    "licenses_removed",
    "portal_calls",
    "portal_retries",
)


def _request_sync(account: Account, user) -> SyncRun:
    """The one place the API starts a sync (the sync service may move: import it here only)."""
    from mspweb.sync.service import SyncRefused, request_sync

    try:
        return request_sync(account, trigger="manual", requested_by=user)
    except SyncRefused as refusal:
        raise problem(409, "conflict", refusal.message) from None


def run_out(run: SyncRun) -> dict:
    """A sync run as the API shows it (`SyncRunOut`)."""
    return {
        "id": run.id,
        "account_id": run.account_id,
        "trigger": run.trigger,
        "status": run.status,
        "phase": run.phase,
        "progress_done": run.progress_done or 0,
        "progress_total": run.progress_total,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
        "counts": {name: getattr(run, name) or 0 for name in COUNTS},
        "url": url_for("api.show_sync", run_id=run.id, _external=True),
    }


def _account_out(row) -> dict:
    account = row.account
    return {
        "id": account.id,
        "name": account.name,
        "kind": account.kind,
        "state": account.state,
        "msp_url": account.msp_url,
        "business_url": account.business_url,
        "username": account.username,
        "created_at": account.created_at.isoformat(),
        "last_sync_at": _iso(account.last_sync_at),
        "last_sync_status": account.last_sync_status,
        "last_success_at": _iso(account.last_success_at),
        "credentials_valid": bool(account.credentials_valid),
        "pools": row.pools,
        "licenses": row.licenses,
        "latest_run": run_out(row.run) if row.run else None,
    }


@bp.get("/accounts")
@spec.validate(resp=responses(200, AccountList, 403), tags=["accounts"])
def list_accounts():
    """Every imported account (administrators only), by name."""
    require_admin()
    from mspweb.accounts.queries import account_rows

    return {"items": [_account_out(row) for row in account_rows()]}


@bp.get("/accounts/<int:account_id>")
@spec.validate(resp=responses(200, AccountOut, 403), tags=["accounts"])
def show_account(account_id: int):
    """One account with its counts and latest run (administrators only)."""
    require_admin()
    return _account_out(_account_row(check_id(account_id)))


def _account_row(account_id: int):
    from mspweb.accounts.queries import account_rows

    for row in account_rows():
        if row.account.id == account_id:
            return row
    raise problem(404, "not-found", "There is no such account.")


@bp.post("/accounts/<int:account_id>/syncs")
@spec.validate(resp=responses(202, SyncRunOut, 403, 409), tags=["accounts"])
def start_sync(account_id: int):
    """Start a synchronization, or join the one already queued or running (R14): 202 either
    way, with the run; poll its `url` until `status` is succeeded or failed."""
    require_admin()
    account = db.session.get(Account, check_id(account_id))
    if account is None:
        raise problem(404, "not-found", "There is no such account.")
    run = _request_sync(account, current_user._get_current_object())
    return ok(run_out(run), 202, {"Location": url_for("api.show_sync", run_id=run.id)})


@bp.get("/syncs")
@spec.validate(query=SyncQuery, resp=responses(200, SyncRunList), tags=["syncs"])
def list_syncs(query: SyncQuery):
    """Sync runs the token's user may see, newest first (operators: their accounts')."""
    require_staff()
    if query.account is not None:
        current_scope().require_account(query.account)
    page = _history(HistoryFilters(account=query.account, status=query.status), query)
    return ok(
        {
            "items": [run_out(run) for run in page.items],
            **page_info(page, query.model_dump(exclude_defaults=True)),
        }
    )


def _history(filters: HistoryFilters, query: SyncQuery):
    return paginate(history_query(filters), query.page, query.per_page)


@bp.get("/syncs/<int:run_id>")
@spec.validate(resp=responses(200, SyncRunOut), tags=["syncs"])
def show_sync(run_id: int):
    """One sync run: status, phase, progress and counts."""
    require_staff()
    from mspweb.sync.service import refresh_stale_runs

    run = get_visible_run(check_id(run_id))
    if run.is_active and refresh_stale_runs(run.account_id):
        db.session.commit()
    return run_out(run)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
