"""The report pages' forms: closing and reopening a billing month, the mailing list."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length


class CloseMonthForm(FlaskForm):
    """Close a month of one account (its figures are frozen)."""

    account = HiddenField(validators=[DataRequired()])
    month = HiddenField(validators=[DataRequired()])


class ReopenMonthForm(FlaskForm):
    """Reopen a closed month: the reason is required and audited."""

    account = HiddenField(validators=[DataRequired()])
    month = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        "Reason for reopening",
        validators=[
            DataRequired(message="Give a reason for reopening the month."),
            Length(max=500),
        ],
    )


class ScheduleForm(FlaskForm):
    """The addresses the monthly reports are mailed to (one per line or comma-separated)."""

    account = HiddenField(validators=[DataRequired()])
    recipients = TextAreaField(
        "Mail the reports on the 1st of each month to", validators=[Length(max=4000)]
    )
