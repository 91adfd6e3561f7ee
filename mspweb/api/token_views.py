"""The "API tokens" page: create (shown once), list and revoke personal API tokens, and the
interactive API reference.

Everyone signed in manages their own tokens; an administrator also sees and can revoke
everyone's. Read-write tokens are for administrators and operators.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mspweb.api.token_forms import TokenForm
from mspweb.api.tokens import TokenRefused, create_token, revoke_token, tokens_of
from mspweb.auth.twofactor import fresh_second_factor_required
from mspweb.extensions import db
from mspweb.htmx_utils import render, wants_fragment
from mspweb.models import ApiToken

bp = Blueprint("tokens", __name__, url_prefix="/api-tokens")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here is for signed-in users."""


def _page(form: TokenForm, status: int = 200, secret: str | None = None, created=None):
    user = current_user._get_current_object()
    others = (
        [token for token in tokens_of(None) if token.user_id != user.id] if user.is_admin else []
    )
    return render(
        "tokens/index.html",
        "tokens/_content.html",
        status,
        form=form,
        tokens=tokens_of(user),
        others=others,
        secret=secret,
        created=created,
    )


@bp.get("")
def index() -> ResponseReturnValue:
    """The user's tokens (and, for administrators, everyone's) with the creation form."""
    return _page(TokenForm(formdata=None))


@bp.post("")
@fresh_second_factor_required
def create() -> ResponseReturnValue:
    """Create a token and show it once (422 with the form on invalid input); it needs a fresh
    second factor (issue 15): without one the user confirms a code (or enrols) first."""
    form = TokenForm()
    if not form.validate():
        return _page(form, 422)
    user = current_user._get_current_object()
    try:
        new = create_token(
            user,
            form.name.data,
            can_write=bool(form.write.data),
            expires_days=form.expires_days.data,
        )
        db.session.commit()
    except TokenRefused as refusal:
        db.session.rollback()
        form.name.errors = [str(refusal)]
        return _page(form, 422)
    return _page(TokenForm(formdata=None), 200, secret=new.secret, created=new.token)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of the user's tokens (administrators: anyone's); anything else is 404."""
    token = db.session.get(ApiToken, token_id) if token_id <= 2**31 - 1 else None
    if token is None or (token.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    name = token.name
    revoke_token(token, current_user._get_current_object())
    db.session.commit()
    if not wants_fragment():
        flash(f"Token “{name}” revoked.", "success")
        return redirect(url_for("tokens.index"))
    return _page(TokenForm(formdata=None))


@bp.get("/reference")
def reference() -> ResponseReturnValue:
    """The interactive API reference (swagger-ui, vendored) for /api/v1/openapi.json."""
    return render("tokens/reference.html", "tokens/reference.html")
