"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in JST.

Enough of cron for sync schedules — `*`, lists, ranges and steps (`30 2 * * *`,
`0 9-18/3 * * 1-5`) — with the classic rule that when both day fields are restricted, a day
matching either one fires. Pure: no clock is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 7))


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"{name}: step must be positive in {part!r}")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(body)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise ValueError(f"{name}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday (7 is folded into 0)
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> "Cron":
        """Parse `expression`; ValueError says which field is wrong."""
        parts = expression.split()
        if len(parts) != 5:
            raise ValueError(f"cron {expression!r}: expected 5 fields (minute hour day month weekday)")
        try:
            parsed = [_parse_field(p, *spec) for p, spec in zip(parts, _FIELDS)]
        except ValueError as exc:
            raise ValueError(f"cron {expression!r}: {exc}") from None
        weekdays = frozenset(0 if d == 7 else d for d in parsed[4])
        return cls(expression, parsed[0], parsed[1], parsed[2], parsed[3], weekdays,
                   parts[2] != "*", parts[4] != "*")

    def _day_matches(self, moment: datetime) -> bool:
        dom = moment.day in self.days
        dow = (moment.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, after: datetime) -> datetime:
        """The first firing strictly after `after` (an aware datetime), in JST."""
        moment = after.astimezone(JST).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = moment + timedelta(days=366 * 5)
        while moment < limit:
            if moment.month not in self.months:
                moment = (moment.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(moment):
                moment = moment.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if moment.hour not in self.hours:
                moment = moment.replace(minute=0) + timedelta(hours=1)
                continue
            if moment.minute not in self.minutes:
                moment += timedelta(minutes=1)
                continue
            return moment
        raise ValueError(f"cron {self.expression!r} never fires")
