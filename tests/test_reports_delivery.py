"""Scheduled delivery: queued once per account and month by the scheduler, sent by its RQ
job to a real SMTP server, its outcome on the billing page and in the audit log."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import AuditEntry
from mspweb.models.usage import ReportDelivery
from mspweb.reports.delivery import create_monthly_deliveries, save_schedule
from mspweb.usage.backfill import run_inline as backfill_inline
from tests.conftest import run_worker
from tests.usage_helpers import last_month, today

FIRST = datetime.combine(today().replace(day=1), datetime.min.time(), UTC).replace(hour=7)


def _strings(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def test_monthly_delivery_is_sent_once_with_both_workbooks(
    import_demo, app, admin_client, mail_config
):
    account = import_demo("northwind")
    assert backfill_inline(account.id)["status"] == "succeeded"
    response = admin_client.post(
        "/reports/delivery",
        data={"account": account.id, "recipients": "billing@msp.example\nowner@msp.example"},
    )
    assert response.status_code == 302
    assert create_monthly_deliveries(FIRST.replace(hour=1)) == 0  # before the hour
    assert create_monthly_deliveries(FIRST) == 1
    assert create_monthly_deliveries(FIRST) == 0  # a second scheduler: nothing more
    run_worker(app)
    (message,) = mail_config.messages
    assert set(message["To"].split(", ")) == {"billing@msp.example", "owner@msp.example"}
    files = {part.get_filename(): part.get_payload(decode=True)
             for part in message.walk() if part.get_filename()}  # fmt: skip
    month = last_month()
    assert set(files) == {f"billing-{month:%Y-%m}.xlsx", "license-users.xlsx"}
    assert "Customer ID" in _strings(files[f"billing-{month:%Y-%m}.xlsx"])
    assert "License User" in _strings(files["license-users.xlsx"])
    delivery = db.session.scalar(select(ReportDelivery))
    assert (delivery.status, delivery.month) == ("sent", month)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reports.delivery"))
    assert entry.outcome == "ok"
    page = admin_client.get(f"/reports/billing?month={month:%Y-%m}")
    assert 'id="delivery-table"' in page.text and ">sent<" in page.text


def test_failed_delivery_says_why(import_demo, app, admin_client):
    account = import_demo("northwind", sync=False)
    save_schedule(account.id, "billing@msp.example", None)
    saved = app.config.get("MAIL_HOST")
    app.config["MAIL_HOST"] = None
    try:
        assert create_monthly_deliveries(FIRST) == 1
        run_worker(app)
    finally:
        app.config["MAIL_HOST"] = saved
    delivery = db.session.scalar(select(ReportDelivery))
    assert delivery.status == "failed" and "MAIL_HOST" in delivery.error
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reports.delivery"))
    assert entry.outcome == "failed" and "MAIL_HOST" in entry.details["error"]
    page = admin_client.get("/reports/billing")
    assert "MAIL_HOST" in page.text


def test_invalid_address_is_refused(import_demo, admin_client):
    account = import_demo("northwind", sync=False)
    response = admin_client.post(
        "/reports/delivery", data={"account": account.id, "recipients": "not-an-address"},
        follow_redirects=True,
    )  # fmt: skip
    assert "not a valid e-mail address" in response.text


def test_the_scheduler_runs_the_monthly_check(app):
    from mspweb.reports.jobs import schedule_monthly_reports
    from mspweb.scheduler import build_scheduler

    jobs = {job.func for job in build_scheduler(app)._cron_jobs}
    assert schedule_monthly_reports in jobs
