"""The "Add account" form: portal URLs and the account's credentials."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

URL_MESSAGE = "Enter a full web address starting with https:// (or http://)."


def _strip(value: str | None) -> str | None:
    """Trim the spaces people paste around URLs and usernames."""
    return value.strip() if isinstance(value, str) else value


def _http_only(form: FlaskForm, field: StringField) -> None:
    """Portals are reached over http or https only (WTForms' URL accepts any scheme)."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError(URL_MESSAGE)


def _portal_url(label: str) -> StringField:
    """An optional http(s) URL field."""
    return StringField(
        label,
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=1024),
            URL(require_tld=False, message=URL_MESSAGE),
            _http_only,
        ],
    )


class AddAccountForm(FlaskForm):
    """MSP portal URL, business portal URL (either may be empty, not both), username, password.

    The password field never renders its value back into the page.
    """

    msp_url = _portal_url("MSP portal URL")
    business_url = _portal_url("Business portal URL")
    username = StringField(
        "Username",
        filters=[_strip],
        validators=[DataRequired("Enter the account's username."), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter the account's password."), Length(max=1024)]
    )

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then: at least one of the two portal URLs."""
        valid = super().validate(extra_validators)
        if not self.msp_url.data and not self.business_url.data:
            self.msp_url.errors = [
                *self.msp_url.errors,
                "Enter the MSP portal URL, the business portal URL, or both.",
            ]
            valid = False
        return valid
