"""The dashboard and `/healthz`."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required
from sqlalchemy import text

from mspweb.broker import get_redis
from mspweb.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def dashboard():
    """The signed-in user's start page."""
    from mspweb.alerts.queries import alerts_for  # issue 13: the Alerts panel
    from mspweb.main.queries import dashboard_summary
    from mspweb.scope import current_scope

    return render_template(
        "main/dashboard.html", summary=dashboard_summary(), alerts=alerts_for(current_scope())
    )


@bp.get("/healthz")
def healthz():
    """200 with the state of the database and Redis; 503 when either is down."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    return jsonify(body), 200 if healthy else 503


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        return f"down: {type(error).__name__}"


def _check_redis() -> str:
    try:
        get_redis().ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        return f"down: {type(error).__name__}"
