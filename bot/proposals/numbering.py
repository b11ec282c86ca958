"""Proposal numbers: `2026-0042`, the 42nd proposal of fiscal year 2026 (April 2026 – March 2027)."""

from __future__ import annotations

import re
from datetime import datetime

from config.clock import JST, fiscal_year_of

_NUMBER = re.compile(r"^(\d{4})-(\d{4,})$")


def fiscal_year(moment: datetime) -> int:
    """The Japanese fiscal year (April–March) of a moment, read in Japan time."""
    return fiscal_year_of(moment.astimezone(JST).date())


def number(year: int, n: int) -> str:
    return f"{year}-{n:04d}"


def sequence(proposal_id: str, year: int) -> int:
    """The running number of `proposal_id` within `year` (0 when it is not one of that year's)."""
    m = _NUMBER.match(proposal_id)
    return int(m.group(2)) if m and int(m.group(1)) == year else 0
