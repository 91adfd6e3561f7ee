"""Scheduled delivery: the billing of the month just ended and the License User report, mailed
as XLSX attachments on the 1st of each month to an account's list of addresses.

The scheduler calls :func:`create_monthly_deliveries` every few minutes; from the 1st at
``REPORT_DELIVERY_HOUR`` (UTC) it inserts one `ReportDelivery` per scheduled account and
month. The unique (account, month) row makes any number of schedulers queue it once, as the
daily sync's (account, day) row does. The RQ job :func:`deliver` sends it and records the
outcome (sent, or failed and why) on the row and in the audit log.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mspweb import audit
from mspweb.extensions import db
from mspweb.licenses.filters import LicenseFilters
from mspweb.mail import Attachment, MailError, send_mail, settings_from_config
from mspweb.models import Account, User
from mspweb.models.usage import ReportDelivery, ReportSchedule
from mspweb.reports.billing import billing_report
from mspweb.reports.license_users import ReportFilters, report
from mspweb.reports.xlsx import workbook_bytes
from mspweb.scope import Scope
from mspweb.usage.store import month_start

log = logging.getLogger(__name__)

JOB_FUNCTION = "mspweb.reports.jobs.deliver_reports"
MAX_RECIPIENTS = 50


class ScheduleError(ValueError):
    """A mailing list that cannot be saved; the message says why."""


def parse_recipients(text: str) -> list[str]:
    """The addresses of a list written one per line or comma-separated; ScheduleError names
    the first invalid one."""
    from mspweb.users.service import UserError, normalise_email

    addresses: list[str] = []
    for raw in re.split(r"[,;\s]+", text or ""):
        if not raw:
            continue
        try:
            address = normalise_email(raw)
        except UserError:
            raise ScheduleError(f"{raw!r} is not a valid e-mail address.") from None
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        raise ScheduleError(f"At most {MAX_RECIPIENTS} addresses.")
    return addresses


def save_schedule(account_id: int, text: str, user: User | None) -> list[str]:
    """Set the account's mailing list (empty: no delivery); audited."""
    addresses = parse_recipients(text)
    schedule = db.session.get(ReportSchedule, account_id)
    if schedule is None:
        schedule = ReportSchedule(account_id=account_id)
        db.session.add(schedule)
    schedule.recipients = "\n".join(addresses)
    schedule.updated_at = datetime.now(UTC)
    schedule.updated_by = user.email if user else "system"
    audit.record(
        "reports.schedule", f"account {account_id}", details={"recipients": addresses}, user=user
    )
    db.session.commit()
    return addresses


def create_monthly_deliveries(now: datetime | None = None) -> int:
    """Queue the delivery of the month just ended for every scheduled account that has none
    yet (from the 1st at REPORT_DELIVERY_HOUR, UTC); returns how many were queued."""
    now = now or datetime.now(UTC)
    if now.day == 1 and now.hour < current_app.config.get("REPORT_DELIVERY_HOUR", 6):
        return 0
    month = month_start(month_start(now.date()) - timedelta(days=1))
    done = select(ReportDelivery.account_id).where(ReportDelivery.month == month)
    schedules = db.session.scalars(
        select(ReportSchedule)
        .where(ReportSchedule.recipients != "", ReportSchedule.account_id.not_in(done))
        .order_by(ReportSchedule.account_id)
    ).all()
    targets = [(s.account_id, s.recipients) for s in schedules]
    db.session.commit()
    queued = 0
    for account_id, recipients in targets:
        delivery = ReportDelivery(account_id=account_id, month=month, recipients=recipients)
        db.session.add(delivery)
        try:
            db.session.commit()
        except IntegrityError:  # another scheduler queued it first
            db.session.rollback()
            continue
        try:
            current_app.sync_queue.enqueue(  # type: ignore[attr-defined]
                JOB_FUNCTION, delivery.id, job_timeout=600, result_ttl=7 * 86400,
                description=f"reports of account {account_id} for {month:%Y-%m}",
            )  # fmt: skip
        except RedisError as error:
            _finish(delivery.id, "failed", f"The delivery could not be queued: {error}")
            continue
        queued += 1
    return queued


def attachments(account_id: int, month) -> list[Attachment]:
    """The two workbooks: the month's billing, and today's License User report."""
    from mspweb.reports.billing_views import XLSX_COLUMNS, billing_rows_for_xlsx
    from mspweb.reports.license_user_views import xlsx_sheet

    today = datetime.now(UTC).date()
    everything = Scope(role="admin")
    billing = billing_report(account_id, month, everything, today)
    sheet = (f"Billing {month:%Y-%m}", XLSX_COLUMNS, billing_rows_for_xlsx(billing))
    filters = ReportFilters(licenses=LicenseFilters(account=account_id))
    groups, total = report(filters, everything, today)
    return [
        Attachment(f"billing-{month:%Y-%m}.xlsx", workbook_bytes([sheet])),
        Attachment("license-users.xlsx", workbook_bytes([xlsx_sheet(filters, [*groups, total])])),
    ]


def deliver(delivery_id: int) -> dict:
    """Send one queued delivery; the outcome goes on its row and into the audit log."""
    delivery = db.session.get(ReportDelivery, delivery_id)
    if delivery is None or delivery.status != "queued":
        return {"status": "skipped", "delivery_id": delivery_id}
    account = db.session.get(Account, delivery.account_id)
    month, recipients = delivery.month, delivery.recipients.split()
    try:
        if account is None:
            raise MailError("The account no longer exists.")
        files = attachments(account.id, month)
        send_mail(
            settings_from_config(current_app.config),
            recipients,
            f"{account.name}: billing for {month:%B %Y} and the License User report",
            f"Attached: the billing of {month:%B %Y} and today's License User report of "
            f"{account.name}, from mspweb.",
            files,
        )
    except MailError as error:
        db.session.rollback()
        _finish(delivery_id, "failed", str(error))
        return {"status": "failed", "delivery_id": delivery_id, "error": str(error)}
    _finish(delivery_id, "sent", None)
    return {"status": "sent", "delivery_id": delivery_id}


def _finish(delivery_id: int, status: str, error: str | None) -> None:
    delivery = db.session.get(ReportDelivery, delivery_id)
    if delivery is None:
        return
    delivery.status, delivery.error = status, error
    delivery.finished_at = datetime.now(UTC)
    audit.record(
        "reports.delivery",
        f"account {delivery.account_id} month {delivery.month:%Y-%m}",
        outcome="ok" if status == "sent" else "failed",
        details={
            "delivery_id": delivery_id,
            "recipients": delivery.recipients.split(),
            "error": error,
        },  # fmt: skip
    )
    db.session.commit()


def recent_deliveries(account_id: int, limit: int = 6) -> list[ReportDelivery]:
    """The account's latest deliveries, newest first (shown on the billing page)."""
    return list(
        db.session.scalars(
            select(ReportDelivery)
            .where(ReportDelivery.account_id == account_id)
            .order_by(ReportDelivery.month.desc(), ReportDelivery.id.desc())
            .limit(limit)
        )
    )
