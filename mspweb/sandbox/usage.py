"""The sandbox's usage history and its ``UsageReport/AllCompanies/products`` answer.

Every MSP-portal license keeps dated snapshots (:class:`Snap`) of what it was from that day
on: its company, product, type, state, seats bought and seats used. A mutation records a
snapshot dated today (or, for a test's backdated change, ``effective_from``), so:

- days before today never change once over (a snapshot dated today replaces only today's);
- today follows the licenses' current usage (the last snapshot is the license as it is now);
- an added license starts the day it is added; a removed one keeps its past (it moves to
  ``world.retired`` with its end day).

Generated licenses have a deterministic synthetic past before the world's build day: held
from a start day drawn from the seed, with a weekly usage drawn around the generated usage.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .world import License, World

FULL, TRIAL = 1, 4
SUSPENDED = 3
MAX_DAYS = 366
_EPOCH = date(2000, 1, 3)  # a Monday: synthetic usage changes weekly


@dataclass(slots=True, frozen=True)
class Snap:
    """What a license was from ``day`` on (until its next snapshot)."""

    day: date
    company_id: str
    code: str
    name: str
    license_type: int
    state: int
    quantity: int
    usage: int


def today(world: World) -> date:
    """The portal's today: the world's fixed day, else the real UTC date."""
    if world.fixed_today:
        return date.fromisoformat(world.fixed_today)
    return datetime.now(UTC).date()


def _snap(item: License, day: date) -> Snap:
    return Snap(
        day=day,
        company_id=item.company_id or "",
        code=item.product_code,
        name=item.product_name,
        license_type=TRIAL if item.trial else FULL,
        state=item.state,
        quantity=item.quantity,
        usage=item.usage,
    )


def ensure_history(world: World, item: License) -> None:
    """Give a generated license, the first time it is needed, its start day (up to ~16
    months before the world was built) and its first snapshot (as it was generated). Done
    lazily, so that building a large world stays fast; call it before changing a license."""
    if item.company_id is None or item.start is not None or not world.built_on:
        return
    built_on = date.fromisoformat(world.built_on)
    back = 20 + zlib.crc32(f"{world.seed}:start:{item.key}".encode()) % 480
    item.start = (built_on - timedelta(days=back)).isoformat()
    item.base = _snap(item, built_on)
    item.history = [item.base]


def record(world: World, item: License, effective_from: str | None = None) -> None:
    """Record the license as it is now, from today (or from ``effective_from`` on).

    A backdated snapshot replaces the ones after it: from that day, the license was this.
    """
    if item.company_id is None:
        return
    day = date.fromisoformat(effective_from) if effective_from else today(world)
    if item.start is None or day < date.fromisoformat(item.start):
        item.start = day.isoformat()
    item.history = [snap for snap in item.history if snap.day < day]
    item.history.append(_snap(item, day))


def retire(world: World, item: License, effective_from: str | None = None) -> None:
    """Keep a removed license's past: it is not held from today (or ``effective_from``) on."""
    if item.company_id is None:
        return
    ensure_history(world, item)
    end = date.fromisoformat(effective_from) if effective_from else today(world)
    item.end = end.isoformat()
    item.history = [snap for snap in item.history if snap.day < end] or item.history[:1]
    world.retired[item.key] = item


def _synthetic(seed: int, key: str, day: date, usage: int) -> int:
    """A generated license's usage on a day before the world was built (weekly steps)."""
    week = (day - _EPOCH).days // 7
    share = (zlib.crc32(f"{seed}:{key}:{week}".encode()) & 0xFFFF) / 0xFFFF
    return int(round(usage * (0.7 + 0.3 * share)))


def segments(world: World, item: License, first: date, last: date):
    """The license's stretches within ``first..last``: ``(start offset, end offset, snap,
    synthetic)`` with offsets from ``first`` (end excluded); a synthetic stretch takes its
    usage day by day from :func:`_synthetic` (weekly steps), others the snapshot's."""
    ensure_history(world, item)
    if item.start is None or not item.history:
        return
    after = last + timedelta(days=1)
    start = max(first, date.fromisoformat(item.start))
    end = min(after, date.fromisoformat(item.end)) if item.end else after
    history = item.history
    if start < history[0].day:  # before the first snapshot: the synthetic past
        base = item.base if isinstance(item.base, Snap) else history[0]
        stop = min(end, history[0].day)
        if start < stop:
            yield (start - first).days, (stop - first).days, base, True
    for index, snap in enumerate(history):
        until = history[index + 1].day if index + 1 < len(history) else after
        lo, hi = max(start, snap.day), min(end, until)
        if lo < hi:
            yield (lo - first).days, (hi - first).days, snap, False


def daily(world: World, item: License, first: date, last: date) -> list[Snap | None]:
    """The license's snapshot in force on each day of ``first..last`` (None: not held);
    days before the first snapshot carry the synthetic usage."""
    out: list[Snap | None] = [None] * ((last - first).days + 1)
    for lo, hi, snap, synthetic in segments(world, item, first, last):
        for offset in range(lo, hi):
            day = first + timedelta(days=offset)
            used = _synthetic(world.seed, item.key, day, snap.usage) if synthetic else snap.usage
            out[offset] = Snap(day, snap.company_id, snap.code, snap.name, snap.license_type,
                               snap.state, snap.quantity, used)  # fmt: skip
    return out


def company_products(
    world: World, items: Iterable[License], company_id: str, first: date, last: date
) -> list[dict]:
    """The report's ``products`` of one company for ``first..last`` (both included)."""
    days = (last - first).days + 1
    groups: dict[tuple[str, int], dict] = {}
    for item in items:
        for lo, hi, snap, synthetic in segments(world, item, first, last):
            if snap.company_id != company_id:
                continue
            group = groups.get((snap.code, snap.license_type))
            if group is None:
                group = groups[(snap.code, snap.license_type)] = {
                    "code": snap.code,
                    "name": snap.name,
                    "licenseType": snap.license_type,
                    "seats": 0,
                    "usage": [0] * days,
                }
            group["name"] = snap.name
            if snap.state == SUSPENDED:
                continue
            usage = group["usage"]
            if synthetic:
                weekly: dict[int, int] = {}
                for offset in range(lo, hi):
                    day = first + timedelta(days=offset)
                    week = (day - _EPOCH).days // 7
                    if week not in weekly:
                        weekly[week] = _synthetic(world.seed, item.key, day, snap.usage)
                    usage[offset] += weekly[week]
            else:
                used = snap.usage
                usage[lo:hi] = [value + used for value in usage[lo:hi]]
            if hi == days:
                group["seats"] += snap.quantity
    products = []
    names = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    for key in sorted(groups):
        group = groups[key]
        usage = group.pop("usage")
        group["seatDays"] = sum(usage)
        group["usagePerDays"] = [
            {"day": name, "usage": value} for name, value in zip(names, usage, strict=True)
        ]
        products.append(group)
    return products


def licenses_of(world: World, company_id: str) -> list[License]:
    """Every license a company held, current and retired (MSP portal)."""
    company = world.companies[company_id]
    current = [world.licenses[key] for key in company.license_keys]
    gone = [item for item in world.retired.values() if item.company_id == company_id]
    return current + gone


def parse_range(body: dict, portal_today: date) -> tuple[date, date]:
    """``from``/``to`` of a request: days, ``from <= to <= today``, at most 366 days;
    ValueError with the reason otherwise."""
    try:
        first = date.fromisoformat(str(body.get("from")))
        last = date.fromisoformat(str(body.get("to")))
    except ValueError:
        raise ValueError("'from' and 'to' must be days (YYYY-MM-DD).") from None
    if first > last:
        raise ValueError("'from' must not be after 'to'.")
    if last > portal_today:
        raise ValueError("'to' must not be after today.")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"The range holds at most {MAX_DAYS} days.")
    return first, last
