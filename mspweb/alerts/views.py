"""The Alerts page (everyone signed in, within their scope) and the digest setting."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mspweb.alerts.digest import FREQUENCIES, digest_of, set_digest
from mspweb.alerts.queries import alerts_for
from mspweb.extensions import db
from mspweb.htmx_utils import render
from mspweb.scope import current_scope

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Alerts are for signed-in users."""


@bp.get("")
def index() -> ResponseReturnValue:
    """Every alert of the user's scope with examples and links to the filtered views."""
    return render(
        "alerts/index.html",
        "alerts/_panel.html",
        alerts=alerts_for(current_scope()),
        digest=digest_of(current_user),
        frequencies=FREQUENCIES,
    )


@bp.post("/digest")
def digest() -> ResponseReturnValue:
    """Set the e-mail digest: off, daily or weekly."""
    frequency = request.form.get("frequency", "")
    if frequency != "off" and frequency not in FREQUENCIES:
        abort(400, description="Choose off, daily or weekly.")
    set_digest(current_user._get_current_object(), frequency)
    db.session.commit()
    flash(f"Alert e-mail digest: {frequency}.", "success")
    return redirect(url_for("alerts.index"))
