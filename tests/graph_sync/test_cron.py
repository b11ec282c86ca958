"""Cron expressions, evaluated in JST."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from graph_sync.cron import JST, Cron


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.mark.parametrize(("expr", "after", "expected"), [
    ("30 2 * * *", "2026-11-23T01:00", "2026-11-23T02:30"),
    ("30 2 * * *", "2026-11-23T02:30", "2026-11-24T02:30"),  # strictly after
    ("0 9-18/3 * * 1-5", "2026-11-23T10:00", "2026-11-23T12:00"),  # Monday
    ("0 9-18/3 * * 1-5", "2026-11-27T18:01", "2026-11-30T09:00"),  # Friday evening → Monday
    ("*/15 * * * *", "2026-11-23T10:07", "2026-11-23T10:15"),
    ("0 0 1 4 *", "2026-05-01T00:00", "2027-04-01T00:00"),  # the fiscal year starts
    ("0 3 31 * *", "2026-11-01T00:00", "2026-12-31T03:00"),  # November has no 31st
    ("0 8 1 * 0", "2026-11-02T00:00", "2026-11-08T08:00"),  # day 1 OR a Sunday
    ("0 6 * * 7", "2026-11-23T00:00", "2026-11-29T06:00"),  # 7 is Sunday too
])
def test_next_firing(expr: str, after: str, expected: str) -> None:
    assert Cron.parse(expr).next_after(at(after)) == at(expected)


def test_evaluated_in_jst_whatever_the_input_zone() -> None:
    utc_evening = datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc)  # 02:00 JST on the 23rd
    assert Cron.parse("30 2 * * *").next_after(utc_evening) == at("2026-11-23T02:30")


@pytest.mark.parametrize(("expr", "message"), [
    ("30 2 * *", "expected 5 fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"),
    ("* * 0 * *", "day of month"), ("* * * 13 *", "month"), ("*/0 * * * *", "step"),
    ("0 0 30 2 *", "never fires"),
])
def test_bad_expressions_say_what_is_wrong(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Cron.parse(expr).next_after(at("2026-01-01T00:00"))
