"""The form that creates an API token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from mspweb.api.tokens import MAX_EXPIRY_DAYS, MAX_NAME_LENGTH


class TokenForm(FlaskForm):
    """A token's name, optional expiry in days, and read-write (staff only)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)])
    expires_days = IntegerField(
        "Expires after (days, empty: never)",
        validators=[Optional(), NumberRange(min=1, max=MAX_EXPIRY_DAYS)],
    )
    write = BooleanField("Read-write (can start syncs and edit tags)")
