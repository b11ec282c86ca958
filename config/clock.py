"""Wall-clock time as every part of the product reads it: injected, so tests set it.

State records (run starts, cursors saved, questions asked) take a `Clock`; code that only
measures how long something took keeps `time.monotonic`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Callable

Clock = Callable[[], datetime]
JST = timezone(timedelta(hours=9))  # the city hall's day and fiscal year are Japan's


def fiscal_year_of(day: date) -> int:
    """The Japanese fiscal year (April–March) a day falls in."""
    return day.year if day.month >= 4 else day.year - 1


def utc_now() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso_seconds(moment: datetime) -> str:
    """`2026-04-01T09:00:00Z`: how state files and lists record a moment."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
