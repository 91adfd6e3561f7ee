"""The alert e-mail digest: daily or weekly per user (off by default), through `mspweb.mail`.

`send_due_digests` (the `flask alerts send-digests` command, and a scheduler job) mails each
subscribed, active user whose digest is due, with the alerts of their own scope.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from mspweb.alerts.queries import alerts_for
from mspweb.extensions import db
from mspweb.mail import MailError, send_mail, settings_from_config
from mspweb.models import AlertDigest, User
from mspweb.models.base import utcnow
from mspweb.scope import Scope

FREQUENCIES = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def set_digest(user: User, frequency: str | None) -> None:
    """Turn the user's digest off (None / "off") or to daily / weekly (the caller commits)."""
    row = db.session.get(AlertDigest, user.id)
    if frequency in FREQUENCIES:
        if row is None:
            db.session.add(AlertDigest(user_id=user.id, frequency=frequency))
        else:
            row.frequency = frequency
    elif row is not None:
        db.session.delete(row)


def digest_of(user: User) -> str:
    """The user's digest frequency ("off" when none)."""
    row = db.session.get(AlertDigest, user.id)
    return row.frequency if row else "off"


def digest_text(user: User) -> tuple[str, str]:
    """(subject, body) of the user's digest, from the alerts of their scope."""
    base = (current_app.config.get("PUBLIC_URL") or "http://localhost").rstrip("/")
    with current_app.test_request_context(base_url=base):  # links are built outside requests
        alerts = alerts_for(Scope.for_user(user))
    lines = [f"Alerts for {user.email}", ""]
    for alert in alerts:
        lines.append(f"{alert.label}: {alert.count}")
        lines += [f"  - {example}" for example in alert.examples]
        if alert.count:
            lines.append(f"  See all: {base}{alert.url}")
        lines.append("")
    total = sum(alert.count for alert in alerts)
    return f"mspweb alerts: {total} to look at", "\n".join(lines)


def send_due_digests(now: datetime | None = None) -> int:
    """Mail every digest that is due; returns how many were sent."""
    now = now or utcnow()
    settings = settings_from_config(current_app.config)
    sent = 0
    rows = db.session.scalars(select(AlertDigest).join(User, User.id == AlertDigest.user_id))
    for row in list(rows):
        user = db.session.get(User, row.user_id)
        due = row.last_sent_at is None or now - row.last_sent_at >= FREQUENCIES[row.frequency]
        if user is None or not user.is_active or not due:
            continue
        subject, body = digest_text(user)
        try:
            send_mail(settings, [user.email], subject, body)
        except MailError:
            current_app.logger.warning("alert digest to %s failed", user.email, exc_info=True)
            continue
        row.last_sent_at = now
        db.session.commit()
        sent += 1
    return sent
