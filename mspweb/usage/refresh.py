"""The usage phase of every synchronization: plan, fetch, apply (issue 10, R21).

A sync reads the usage report for the days since the last final day the account holds (one
range; plus, at the first sync of a month, the month just ended, for its month-end seats),
in its own progress phase "usage", after the licenses. Its writes happen in the sync's apply
transaction: a failing usage fetch raises :class:`SyncFailure`, so the run fails saying why
and nothing is changed. Business-portal usage is recorded from the units the sync just wrote.

Before the account's backfill has run, a sync reads no usage report (the backfill reads the
whole history in its own run, queued once the import's first sync has succeeded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from mspweb.extensions import db
from mspweb.models.usage import UsageStatus
from mspweb.portal import MspPortalClient, PortalError, UsageCompany
from mspweb.sync.fetch import SyncFailure, describe_portal_error
from mspweb.usage.store import (
    UsageWriter,
    apply_report_range,
    company_ids_by_portal_id,
    month_start,
    record_business_day,
)

status_t = UsageStatus.__table__
MAX_RANGE_DAYS = 366

Range = tuple[date, date]


def utc_today() -> date:
    """Today in UTC: the day the portals' usage report calls today."""
    return datetime.now(UTC).date()


@dataclass
class UsagePlan:
    """What a sync's usage phase will read: report ranges, and which of them end a month."""

    account_id: int
    today: date
    ranges: list[Range] = field(default_factory=list)
    month_end: date | None = None

    @property
    def refreshes(self) -> bool:
        """True when the account's history is refreshed (its backfill has run)."""
        return bool(self.ranges)


@dataclass
class UsageFetch:
    """The report ranges read, with their companies."""

    plan: UsagePlan
    reports: list[tuple[Range, list[UsageCompany]]] = field(default_factory=list)


def plan_refresh(account_id: int, today: date | None = None) -> UsagePlan:
    """The ranges the next sync of `account_id` reads (none before its backfill has run)."""
    today = today or utc_today()
    plan = UsagePlan(account_id, today)
    status = db.session.get(UsageStatus, account_id)
    if status is None or status.backfilled_at is None:
        return plan
    first = (status.final_through + timedelta(days=1)) if status.final_through else today
    first = max(min(first, today), today - timedelta(days=MAX_RANGE_DAYS - 1))
    previous_end = month_start(today) - timedelta(days=1)
    if status.month_end_through is None or status.month_end_through < previous_end:
        plan.ranges.append((month_start(previous_end), previous_end))
        plan.month_end = previous_end
    plan.ranges.append((first, today))
    return plan


def fetch_usage(
    client: MspPortalClient,
    plan: UsagePlan,
    progress: Callable[[str, int, int | None], None],
    snapshot: Any = None,
) -> UsageFetch:
    """Read the plan's ranges (progress phase "usage"); a portal error fails the sync.
    The calls made are added to `snapshot.portal_calls` (the sync's count) when given."""
    fetched = UsageFetch(plan)
    calls_before = client.stats.calls
    try:
        _read_ranges(client, plan, progress, fetched)
    finally:
        if snapshot is not None:
            snapshot.portal_calls += client.stats.calls - calls_before
    return fetched


def _read_ranges(client, plan: UsagePlan, progress, fetched: UsageFetch) -> None:
    for index, (first, last) in enumerate(plan.ranges):
        progress("usage", index, len(plan.ranges))
        try:
            companies = list(client.usage_report(first, last))
        except PortalError as error:
            failure = describe_portal_error(error, "MSP portal")
            raise SyncFailure(
                f"The usage report ({first} to {last}) could not be read: {failure.message}",
                credentials_invalid=failure.credentials_invalid,
            ) from error
        fetched.reports.append(((first, last), companies))


def apply_usage(
    connection: Connection, account_id: int, fetched: UsageFetch | None, now: datetime
) -> int:
    """Write the fetched ranges and today's business-portal units, in the caller's
    transaction; returns how many usage rows were written."""
    today = fetched.plan.today if fetched is not None else now.astimezone(UTC).date()
    writer = UsageWriter(connection, account_id, now)
    if fetched is not None and fetched.reports:
        company_ids = company_ids_by_portal_id(connection, account_id)
        for (first, last), companies in fetched.reports:
            apply_report_range(writer, companies, first, last, today, company_ids)
        _advance_status(connection, account_id, today - timedelta(days=1), fetched.plan.month_end)
    record_business_day(writer, today)
    writer.flush()
    return writer.rows_written


def _advance_status(
    connection: Connection, account_id: int, final_through: date, month_end: date | None
) -> None:
    current = connection.execute(
        select(status_t.c.final_through, status_t.c.month_end_through).where(
            status_t.c.account_id == account_id
        )
    ).first()
    values: dict = {}
    if current is None or current.final_through is None or current.final_through < final_through:
        values["final_through"] = final_through
    if month_end is not None and (
        current is None
        or current.month_end_through is None
        or current.month_end_through < month_end
    ):
        values["month_end_through"] = month_end
    if not values:
        return
    if current is None:
        connection.execute(insert(status_t).values(account_id=account_id, **values))
    else:
        connection.execute(
            update(status_t).where(status_t.c.account_id == account_id).values(**values)
        )
