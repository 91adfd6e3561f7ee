"""Forms of the License Management and Tags pages.

`CSRFProtect` checks every POST (the hidden `csrf_token` field, or the `X-CSRFToken` header htmx
sends), so these forms leave CSRF to it. Tag names are validated by the tag service's own rule
(`clean_tag_name`), so a form and the service never disagree.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from mspweb.params import MAX_INT
from mspweb.tags.service import MAX_TAG_LENGTH, TagError, clean_tag_name


def valid_tag_name(form: FlaskForm, field: StringField) -> None:
    """WTForms validator: the tag service's rule for names; stores the cleaned name."""
    try:
        field.data = clean_tag_name(field.data)
    except TagError as error:
        raise ValidationError(str(error)) from None


#: Ids and versions beyond a database integer are invalid input, never a database error.
DATABASE_INTEGER = NumberRange(min=-MAX_INT, max=MAX_INT)


class _NoCSRF(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has already checked the request


class TagForm(_NoCSRF):
    """Add a tag to one license (inline, in its Tags cell)."""

    name = StringField(
        "Tag",
        validators=[valid_tag_name],
        render_kw={"maxlength": MAX_TAG_LENGTH, "autocomplete": "off"},
    )
    version = IntegerField(validators=[Optional(), DATABASE_INTEGER])
    next = HiddenField()


class RemoveTagForm(_NoCSRF):
    """Remove one tag from one license."""

    tag = IntegerField(validators=[DataRequired(), DATABASE_INTEGER])
    version = IntegerField(validators=[Optional(), DATABASE_INTEGER])
    next = HiddenField()


class BulkTagForm(_NoCSRF):
    """Add or remove one tag on the selected licenses."""

    name = StringField(
        "Tag",
        validators=[valid_tag_name],
        render_kw={"maxlength": MAX_TAG_LENGTH, "autocomplete": "off"},
    )
    action = RadioField(
        "Action",
        choices=[SelectChoice("add", "Add"), SelectChoice("remove", "Remove")],
        default="add",
    )
    next = HiddenField()


class RenameTagForm(_NoCSRF):
    """Rename a tag on every license (R09)."""

    name = StringField(
        "New name",
        validators=[valid_tag_name],
        render_kw={"maxlength": MAX_TAG_LENGTH, "autocomplete": "off"},
    )
