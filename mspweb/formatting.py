"""Jinja filters for dates, numbers and durations."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask


def register_filters(app: Flask) -> None:
    """Register the console's template filters."""
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(format_number, "number")


def format_datetime(value: datetime | None) -> str:
    """A timestamp as `2026-11-22 14:05 UTC`, or an em dash."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def format_date(value: date | None) -> str:
    """A date as `2026-11-22`, or an em dash."""
    return value.isoformat() if value else "—"


def format_duration(seconds: float | None) -> str:
    """A duration in words: `850 ms`, `12.4 s`, `3 min 5 s`."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def format_number(value: int | float | None) -> str:
    """A number with thousands separators."""
    if value is None:
        return "—"
    return f"{value:,}"
