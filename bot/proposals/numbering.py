"""Proposal numbers: `2026-0042`, the 42nd proposal of fiscal year 2026 (April 2026 – March 2027)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9))
_NUMBER = re.compile(r"^(\d{4})-(\d{4,})$")


def fiscal_year(moment: datetime) -> int:
    """The Japanese fiscal year (April–March) of a moment, read in Japan time."""
    local = moment.astimezone(JST)
    return local.year if local.month >= 4 else local.year - 1


def number(year: int, n: int) -> str:
    return f"{year}-{n:04d}"


def sequence(proposal_id: str, year: int) -> int:
    """The running number of `proposal_id` within `year` (0 when it is not one of that year's)."""
    m = _NUMBER.match(proposal_id)
    return int(m.group(2)) if m and int(m.group(1)) == year else 0
