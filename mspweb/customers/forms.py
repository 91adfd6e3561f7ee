"""The customer-setup form (R17): a new login or an existing one, and the customer's group."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from mspweb.customers.setup import SetupMode


class CustomerSetupForm(FlaskForm):
    """Who signs in for the customer, and the name of its group in the Computers tree."""

    mode = RadioField(
        "Login",
        choices=[
            (SetupMode.CREATE.value, "Create a new login"),
            (SetupMode.LINK.value, "Link an existing login"),
        ],
        default=SetupMode.CREATE.value,
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired(message="Enter the email the customer signs in with."),
            Length(max=254),
        ],
    )
    password = PasswordField(
        "Password (new login only)",
        validators=[Optional(), Length(max=1024)],
        description="Leave empty to have a password generated and shown once on the summary.",
    )
    group_name = StringField(
        "Group in the Computers tree",
        validators=[Optional(), Length(max=512)],
    )
