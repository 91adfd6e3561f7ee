"""The Tags page: every tag the user may see with how many licenses carry it; rename a tag on
every license and delete a tag (R09), each after a confirmation.

A tag is global: renaming or deleting it changes every license that carries it. Administrators
and operators may do both; an operator's edit of a tag that is also on licenses outside its part
of the tree changes the licenses of its part only (mspweb/tags/confined.py), so that the page
never tells an operator which names other customers use (issue 15). Customer users see their
tags here but edit them only on their own licenses (R12): renaming or deleting a tag is a 404
for them. A tag the user cannot see at all is a 404.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from mspweb.database import begin_write
from mspweb.extensions import db, login_manager
from mspweb.htmx_utils import render, wants_fragment
from mspweb.licenses.forms import RenameTagForm
from mspweb.licenses.lookups import tag_page, visible_tag
from mspweb.models import Tag
from mspweb.params import query_int
from mspweb.scope import current_scope
from mspweb.tags.confined import delete_as, rename_as
from mspweb.tags.service import TagError

bp = Blueprint("tags", __name__)

TAGS_PER_PAGE = 100


@bp.before_request
def _signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def may_manage(tag_row) -> bool:
    """True when the user may rename or delete this tag: staff may, for every tag they see (an
    operator's edit of a tag also used outside its subtree changes its subtree only)."""
    return not current_user.is_customer


@bp.get("/tags")
def index():
    """The list of tags (search `q`, `page`), or its fragment for htmx."""
    query = (request.args.get("q") or "").strip()[:100]
    number = max(1, query_int(request.args.get("page")) or 1)
    page = tag_page(current_scope(), query, number, TAGS_PER_PAGE)
    return render(
        "tags/index.html",
        "tags/_list.html",
        page=page,
        q=query,
        may_manage=may_manage,
        message=None,
    )


@bp.route("/tags/<int:tag_id>/rename", methods=["GET", "POST"])
def rename(tag_id: int):
    """GET: the confirmation form; POST: rename the tag on every license (422 on a bad name)."""
    tag_row = _manageable(tag_id)
    form = RenameTagForm(data={"name": tag_row.name} if request.method == "GET" else None)
    if request.method == "GET" or not form.validate():
        status = 200 if request.method == "GET" else 422
        return render(
            "tags/rename.html", "tags/_rename.html", status=status, form=form, tag=tag_row
        )
    tag = db.session.get_one(Tag, tag_id)
    try:
        count, merged = rename_as(
            tag, bool(tag_row.outside), form.name.data, current_user, current_scope()
        )
        db.session.commit()
    except (TagError, IntegrityError) as error:
        db.session.rollback()
        message = (
            str(error)
            if isinstance(error, TagError)
            else ("Another tag got that name at the same moment. Try again.")
        )
        form.name.errors = [message]
        return render("tags/rename.html", "tags/_rename.html", status=422, form=form, tag=tag_row)
    # Issue 15: an operator is told of a merge only with a tag it can see; a name used only
    # outside its subtree answers as a fresh name would, so the answer reveals nothing.
    how = "merged into the existing tag" if merged else "renamed to"
    return _finished(f"Tag “{tag_row.name}” {how} “{form.name.data}” on {count} licenses.")


@bp.route("/tags/<int:tag_id>/delete", methods=["GET", "POST"])
def delete(tag_id: int):
    """GET: the confirmation; POST: delete the tag from every license."""
    tag_row = _manageable(tag_id)
    if request.method == "GET":
        return render("tags/delete.html", "tags/_delete.html", tag=tag_row)
    tag = db.session.get_one(Tag, tag_id)
    count = delete_as(tag, bool(tag_row.outside), current_user, current_scope())
    db.session.commit()
    return _finished(f"Tag “{tag_row.name}” deleted from {count} licenses.")


def _manageable(tag_id: int):
    if current_user.is_customer:
        abort(404)
    if request.method == "POST":
        begin_write(db.session)
    return visible_tag(tag_id)


def _finished(message: str):
    """After a rename or delete: back to the list (htmx: the list fragment, in place)."""
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("tags.index"))
    page = tag_page(current_scope(), "", 1, TAGS_PER_PAGE)
    return render(
        "tags/index.html",
        "tags/_list.html",
        page=page,
        q="",
        may_manage=may_manage,
        message=message,
        hx={"retarget": "#tag-list", "reswap": "outerHTML", "push_url": url_for("tags.index")},
    )
