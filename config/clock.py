"""Wall-clock time as every part of the product reads it: injected, so tests set it.

State records (run starts, cursors saved, questions asked) take a `Clock`; code that only
measures how long something took keeps `time.monotonic`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso_seconds(moment: datetime) -> str:
    """`2026-04-01T09:00:00Z`: how state files and lists record a moment."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
