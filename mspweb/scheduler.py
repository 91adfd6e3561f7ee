"""`python -m mspweb.scheduler`: queues the daily synchronization (R13) with RQ's cron.

An ``rq.cron.CronScheduler`` enqueues ``mspweb.sync.jobs.schedule_daily_syncs`` every few
minutes; that job queues one scheduled sync per active account per day (at or after
``DAILY_SYNC_HOUR`` UTC). Running several schedulers is safe: the database's unique
(account, day) constraint keeps it to one run a day.
"""

from __future__ import annotations

import argparse

from rq.cron import CronScheduler

from mspweb import create_app
from mspweb.changelog.retention import prune_change_log
from mspweb.reports.jobs import schedule_monthly_reports  # issue 10
from mspweb.sync.jobs import schedule_daily_syncs
from mspweb.webhooks.jobs import retry_due_deliveries

DEFAULT_INTERVAL = 300
"""Seconds between two passes of the daily-sync check."""


def build_scheduler(app, interval: int = DEFAULT_INTERVAL, name: str = "") -> CronScheduler:
    """A cron scheduler for `app`'s queue with the daily-sync check registered."""
    scheduler = CronScheduler(connection=app.redis, name=name)
    scheduler.register(
        schedule_daily_syncs,
        queue_name=app.config["RQ_QUEUE"],
        interval=interval,
        job_timeout=600,
        result_ttl=3600,
    )
    # the change log's retention (issue 11): once a day, in small batches
    scheduler.register(prune_change_log, queue_name=app.config["RQ_QUEUE"], cron="40 3 * * *")
    scheduler.register(  # issue 13: webhook retries whose backoff is over
        retry_due_deliveries,
        queue_name=app.config["RQ_QUEUE"],
        interval=60,
        job_timeout=300,
        result_ttl=600,
    )
    scheduler.register(  # issue 10: the monthly report mail (once per account and month)
        schedule_monthly_reports,
        queue_name=app.config["RQ_QUEUE"],
        interval=interval,
        job_timeout=600,
        result_ttl=3600,
    )
    return scheduler


def main(argv: list[str] | None = None) -> None:
    """Run the scheduler until stopped (Ctrl-C or SIGTERM)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--interval",
        type=int,
        default=DEFAULT_INTERVAL,
        help=f"seconds between checks (default {DEFAULT_INTERVAL})",
    )
    parser.add_argument("--name", default="", help="the scheduler's name (default: RQ's)")
    args = parser.parse_args(argv)
    app = create_app()
    build_scheduler(app, args.interval, args.name).start()


if __name__ == "__main__":
    main()
