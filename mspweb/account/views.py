"""`/account/...`: one's own sessions (end one, or all) and two-factor sign-in (enrol with a
QR code served from here, recovery codes, turn off, confirm a fresh code)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from mspweb.audit import record
from mspweb.auth import twofactor
from mspweb.auth.sessions import end_all_sessions, end_session, list_sessions, rotate_session
from mspweb.extensions import db
from mspweb.redirects import safe_next

bp = Blueprint("account", __name__, url_prefix="/account")

PENDING_SECRET = "pending_totp_secret"


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


def _me():
    return current_user._get_current_object()


@bp.get("/sessions")
def sessions():
    """The user's active sessions: device, address, started and last seen."""
    return render_template("account/sessions.html", sessions=list_sessions(_me().id))


@bp.post("/sessions/<sid>/end")
def end(sid: str):
    """End one of the user's sessions (another device's, or this one)."""
    if not end_session(_me().id, sid[:64]):
        abort(404)
    record("session.end", _me().email, user=_me(), commit=True)
    flash("The session was ended.", "success")
    return redirect(url_for("account.sessions"), 303)


@bp.post("/sessions/end-all")
def end_all():
    """Sign out everywhere, this browser included."""
    ended = end_all_sessions(_me().id)
    record("session.end_all", _me().email, details={"sessions": ended}, user=_me(), commit=True)
    flash(f"Signed out everywhere ({ended} sessions).", "info")
    return redirect(url_for("auth.login"), 303)


@bp.get("/two-factor")
def two_factor():
    """Two-factor status; when off, the enrolment (QR code and the secret to type in)."""
    enrolled = twofactor.enrolment(_me().id)
    secret = None
    if enrolled is None:
        secret = session.get(PENDING_SECRET) or twofactor.new_secret()
        session[PENDING_SECRET] = secret
    return render_template(
        "account/two_factor.html",
        enrolled=enrolled,
        secret=secret,
        left=twofactor.unused_recovery_codes(_me().id) if enrolled else 0,
        required=twofactor.staff_must_use_two_factor() and not _me().is_customer,
        error=None,
    )


@bp.get("/two-factor/qr.svg")
def qr_code():
    """The enrolment QR code, as an SVG image made here (never by a third party)."""
    secret = session.get(PENDING_SECRET)
    if not secret or twofactor.enrolment(_me().id) is not None:
        abort(404)
    svg = twofactor.qr_svg(twofactor.provisioning_uri(secret, _me().email))
    return Response(svg, mimetype="image/svg+xml")


@bp.post("/two-factor/enable")
def enable():
    """Turn two-factor on with a first code from the app; shows the ten recovery codes once."""
    secret = session.get(PENDING_SECRET)
    if not secret or twofactor.enrolment(_me().id) is not None:
        return redirect(url_for("account.two_factor"), 303)
    codes = twofactor.enable(_me().id, secret, request.form.get("code", "")[:32])
    if codes is None:
        page = render_template(
            "account/two_factor.html",
            enrolled=None,
            secret=secret,
            left=0,
            required=False,
            error="That code is not right. Check the time on your phone and try again.",
        )
        return page, 422
    record("two_factor.enable", _me().email, user=_me())
    db.session.commit()
    session.pop(PENDING_SECRET, None)
    rotate_session(_me())  # a stronger session: a new id
    twofactor.mark_fresh()
    return render_template("account/recovery_codes.html", codes=codes)


@bp.post("/two-factor/recovery-codes")
def recovery_codes():
    """Ten new recovery codes (the old ones stop working); needs a current code."""
    if not twofactor.verify_second_factor(_me().id, request.form.get("code", "")[:32]):
        flash("That code is not right.", "error")
        return redirect(url_for("account.two_factor"), 303)
    codes = twofactor.new_recovery_codes(_me().id)
    record("two_factor.recovery_codes", _me().email, user=_me())
    db.session.commit()
    return render_template("account/recovery_codes.html", codes=codes)


@bp.post("/two-factor/disable")
def disable():
    """Turn two-factor off (needs a current code; refused when staff must use it)."""
    if twofactor.staff_must_use_two_factor() and not _me().is_customer:
        flash("An administrator requires two-factor sign-in for staff.", "error")
        return redirect(url_for("account.two_factor"), 303)
    if not twofactor.verify_second_factor(_me().id, request.form.get("code", "")[:32]):
        flash("That code is not right.", "error")
        return redirect(url_for("account.two_factor"), 303)
    twofactor.disable(_me().id)
    record("two_factor.disable", _me().email, user=_me())
    db.session.commit()
    flash("Two-factor sign-in is off.", "info")
    return redirect(url_for("account.two_factor"), 303)


@bp.route("/two-factor/confirm", methods=["GET", "POST"])
def confirm_two_factor():
    """Enter a current code again before an action that needs a fresh second factor."""
    back = safe_next(request.args.get("next"), url_for("main.dashboard"))
    if twofactor.enrolment(_me().id) is None:
        return redirect(url_for("account.two_factor"))
    error, status = None, 200
    if request.method == "POST":
        if twofactor.verify_second_factor(_me().id, request.form.get("code", "")[:32]):
            twofactor.mark_fresh()
            return redirect(back, 303)
        error, status = "That code is not right.", 422
    return render_template("account/confirm.html", error=error, back=back), status
