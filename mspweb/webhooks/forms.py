"""The form that registers a webhook endpoint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, ValidationError, widgets
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from mspweb.webhooks.dispatch import EVENTS
from mspweb.webhooks.safety import UnsafeUrl, check_url


class EndpointForm(FlaskForm):
    """URL, events, license.expiring's N days, and an optional signing secret."""

    url = StringField("URL", validators=[DataRequired(), Length(max=2048)])
    description = StringField("Description", validators=[Optional(), Length(max=255)])
    events = SelectMultipleField(
        "Events",
        choices=[(event, event) for event in EVENTS],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    expiring_days = IntegerField(
        "license.expiring: days before the end date",
        default=30,
        validators=[Optional(), NumberRange(min=1, max=365)],
    )
    secret = StringField(
        "Signing secret (whsec_…; empty: a new one is made)",
        validators=[Optional(), Length(max=200)],
    )

    def validate_url(self, field) -> None:
        """https, or http to an allow-listed host (WEBHOOK_ALLOWED_HOSTS)."""
        try:
            check_url(field.data or "")
        except UnsafeUrl as refusal:
            raise ValidationError(str(refusal)) from None

    def validate_events(self, field) -> None:
        """At least one event."""
        if not field.data:
            raise ValidationError("Choose at least one event.")

    def validate_secret(self, field) -> None:
        """A Standard Webhooks secret: whsec_ and base64."""
        import base64
        import binascii

        if not field.data:
            return
        value = field.data.strip()
        try:
            decoded = base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not value.startswith("whsec_") or len(decoded) < 16:
            raise ValidationError("A secret is whsec_ followed by at least 16 bytes in base64.")
