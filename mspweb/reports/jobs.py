"""The reports' RQ jobs, enqueued by dotted name: the monthly check and one delivery."""

from __future__ import annotations

from mspweb.sync.jobs import _in_app_context


def schedule_monthly_reports(now=None) -> int:
    """Queue the month's report deliveries that are due (run by the scheduler)."""
    from mspweb.reports.delivery import create_monthly_deliveries

    return _in_app_context(lambda: create_monthly_deliveries(now))


def deliver_reports(delivery_id: int) -> dict:
    """Mail one delivery's reports and record how it went."""
    from mspweb.reports.delivery import deliver

    return _in_app_context(lambda: deliver(delivery_id))
