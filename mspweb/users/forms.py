"""The form for creating staff users (administrators and operators)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length, Optional

from mspweb.users.service import MIN_PASSWORD_LENGTH


class StaffUserForm(FlaskForm):
    """A new administrator, or an operator confined to one company's subtree."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    role = SelectField(
        "Role",
        choices=[("admin", "Administrator (everything)"), ("operator", "Operator (one subtree)")],
    )
    company_id = SelectField(
        "Confined to", coerce=int, validators=[Optional()], validate_choice=False
    )
