"""Tag edits on the License Management page: inline add and remove, and bulk for selected rows.

Registered on the `licenses` blueprint by `mspweb.licenses.views`. Inline edits answer with
the license's Tags cell (status 422 with the error in the cell when the name is refused); bulk
edits answer with a message and the `licenses-changed` event, which refreshes the table. Without
JavaScript, each form posts normally and the answer redirects back to the list with a flash.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from mspweb.database import begin_write
from mspweb.extensions import db, htmx
from mspweb.licenses.forms import BulkTagForm, RemoveTagForm, TagForm
from mspweb.licenses.lookups import tags_by_license, visible_license, visible_license_ids
from mspweb.models import License, LicenseTag, Tag
from mspweb.redirects import safe_next
from mspweb.tags.service import TagError, bulk_tag
from mspweb.tags.service import add_tag as add_license_tag
from mspweb.tags.service import remove_tag as remove_license_tag

STALE_NOTICE = "Someone else changed these tags meanwhile: both changes are kept, shown here."
RACE_ERROR = "Someone else changed this license's tags at the same moment. Try again."


def refuse_pool_changes() -> None:
    """R04: a request that tries to name a pool for a license is refused (400), never applied."""
    if any("pool" in field.lower() for field in request.form):
        abort(400, description="A license cannot be moved out of its pool.")


def add_tag(license_id: int):
    """Add a tag to one license (POST name, version)."""
    refuse_pool_changes()
    begin_write(db.session)
    license = visible_license(license_id)
    form = TagForm()
    if not form.validate():
        return _cell(
            license, error=_first_error(form), value=request.form.get("name", ""), status=422
        )
    try:
        edit = add_license_tag(license, form.name.data, current_user, form.version.data)
        db.session.commit()
    except TagError as error:
        db.session.rollback()
        return _cell(license, error=str(error), value=form.name.data, status=422)
    except IntegrityError:
        db.session.rollback()
        return _cell(license, error=RACE_ERROR, value=form.name.data, status=409)
    return _done(
        license,
        f"Tag “{form.name.data}” added to {license.public_key}.",
        notice=STALE_NOTICE if edit.stale else None,
        next_url=form.next.data,
    )


def remove_tag(license_id: int):
    """Remove a tag from one license (POST tag (its id), version)."""
    refuse_pool_changes()
    begin_write(db.session)
    license = visible_license(license_id)
    form = RemoveTagForm()
    tag_id = form.tag.data if form.validate() else None
    tag = (
        None
        if tag_id is None
        else db.session.scalar(
            select(Tag)
            .join(
                LicenseTag, and_(LicenseTag.tag_id == Tag.id, LicenseTag.license_id == license.id)
            )
            .where(Tag.id == tag_id)
        )
    )
    if tag is None:  # already removed by someone else (or never there): show what is there
        return _done(
            license,
            "That tag is no longer on this license.",
            notice="That tag is no longer on this license.",
            next_url=form.next.data,
        )
    try:
        edit = remove_license_tag(license, tag, current_user, form.version.data)
        name = tag.name
        db.session.commit()
    except TagError as error:
        db.session.rollback()
        return _cell(license, error=str(error), status=422)
    return _done(
        license,
        f"Tag “{name}” removed from {license.public_key}.",
        notice=STALE_NOTICE if edit.stale else None,
        next_url=form.next.data,
    )


def bulk_tags():
    """Add or remove one tag on the selected licenses (POST license*, name, action)."""
    refuse_pool_changes()
    begin_write(db.session)
    form = BulkTagForm()
    ids = visible_license_ids(request.form.getlist("license"))
    error = None if form.validate() else _first_error(form)
    if error is None and not ids:
        error = "Select at least one license first."
    if error is not None:
        return _bulk_answer(error, form, status=422)
    name, action = form.name.data, form.action.data
    try:
        changed = bulk_tag(ids, name, action, current_user)
        db.session.commit()
    except TagError as refusal:
        db.session.rollback()
        return _bulk_answer(str(refusal), form, status=422)
    verb = "Added" if action == "add" else "Removed"
    where = "to" if action == "add" else "from"
    message = f"{verb} tag “{name}” {where} {changed} of {len(ids)} selected licenses."
    if not htmx:
        flash(message, "success")
        return redirect(safe_next(form.next.data, url_for("licenses.index")))
    return _bulk_answer(message, form, trigger="licenses-changed")


def _bulk_answer(
    message: str, form: BulkTagForm, status: int = 200, trigger: str | None = None
) -> ResponseReturnValue:
    if not htmx:
        flash(message, "error" if status >= 400 else "success")
        return redirect(safe_next(form.next.data, url_for("licenses.index")))
    html = render_template("licenses/_bulk_result.html", message=message, error=status >= 400)
    return htmx_response(html, status, trigger=trigger)


def _done(license: License, message: str, notice: str | None, next_url: str | None):
    if not htmx:
        flash(notice or message, "info" if notice else "success")
        return redirect(safe_next(next_url, url_for("licenses.index")))
    return _cell(license, notice=notice)


def _cell(
    license: License,
    error: str | None = None,
    value: str = "",
    notice: str | None = None,
    status: int = 200,
):
    """The license's Tags cell, as it stands now in the database."""
    if not htmx:
        if error:
            flash(error, "error")
        return redirect(safe_next(request.form.get("next"), url_for("licenses.index")))
    db.session.expire(license)
    cell = {
        "license_id": license.id,
        "public_key": license.public_key,
        "version": license.version,
        "tags": tags_by_license([license.id])[license.id],
    }
    html = render_template(
        "licenses/_tags.html",
        cell=cell,
        error=error,
        value=value,
        notice=notice,
        next_url=request.form.get("next", ""),
    )
    return make_response(html, status)


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return "The form is not valid."
