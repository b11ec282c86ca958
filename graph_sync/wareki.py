"""Japanese era dates (和暦) both ways: 令和7年5月12日 ⇄ 2025-05-12, 令和3年度 ⇄ FY2021."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# (name, initial, first day). Newest first, so the first era whose start is on or before a
# date is its era.
ERAS: tuple[tuple[str, str, date], ...] = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
)
_BY_NAME = {name: start for name, _, start in ERAS} | {initial: start for _, initial, start in ERAS}
_NAME = {name: name for name, _, _ in ERAS} | {initial: name for name, initial, _ in ERAS}
# The last day of each era but the current one: 平成31年4月30日, 昭和64年1月7日.
_LAST_DAY = {ERAS[i][0]: ERAS[i - 1][2].fromordinal(ERAS[i - 1][2].toordinal() - 1)
             for i in range(1, len(ERAS))}

_WAREKI_DATE = re.compile(
    r"(?P<era>令和|平成|昭和|[RHS])\s*(?P<year>元|\d{1,2})\s*[年.\-/]\s*(?P<month>\d{1,2})\s*"
    r"[月.\-/]\s*(?P<day>\d{1,2})\s*日?"
)
_WAREKI_YEAR = re.compile(r"(?P<era>令和|平成|昭和|[RHS])\s*(?P<year>元|\d{1,2})\s*(?:年度?)?")
_WESTERN_DATE = re.compile(r"(?P<year>\d{4})\s*[年/\-.]\s*(?P<month>\d{1,2})\s*[月/\-.]\s*(?P<day>\d{1,2})\s*日?")
# Excel writes a date cell it holds as a date-time as `2025/5/12 0:00` (or `0:00:00`); a
# date-only column accepts it when the time is midnight.
_MIDNIGHT = re.compile(r"\s+0{1,2}:00(?::00)?$")


def _era_year(era: str, year: str, text: str) -> int:
    if year != "元" and int(year) == 0:
        raise ValueError(f"{_NAME[era]}0年はありません / there is no year 0 of an era: {text!r}")
    start = _BY_NAME[era]
    return start.year + (1 if year == "元" else int(year)) - 1


def _check_in_era(era: str, day: date, text: str) -> None:
    """令和元年4月30日 was still 平成, 昭和64年1月8日 already 平成: a date outside its era."""
    name = _NAME[era]
    start, last = _BY_NAME[name], _LAST_DAY.get(name)
    if day < start or (last is not None and day > last):
        span = f"{start:%Y/%m/%d}〜{last:%Y/%m/%d}" if last else f"{start:%Y/%m/%d}〜"
        raise ValueError(f"{name}の期間（{span}）外の日付です / {text!r} is outside the {name} era ({span})")


def to_wareki_date(day: date) -> str:
    """令和7年5月12日 for 2025-05-12 (元年 for the first year of an era)."""
    for name, _, start in ERAS:
        if day >= start:
            n = day.year - start.year + 1
            return f"{name}{'元' if n == 1 else n}年{day.month}月{day.day}日"
    raise ValueError(f"{day} is before the eras this module knows")


def to_wareki_year(fiscal_year: int) -> str:
    """令和3年度 for fiscal year 2021 (which starts in April 2021, within 令和)."""
    april = date(fiscal_year, 4, 1)
    for name, _, start in ERAS:
        if april >= start or (name == "令和" and fiscal_year == 2019):
            n = fiscal_year - start.year + 1
            return f"{name}{'元' if n == 1 else n}年度"
    raise ValueError(f"fiscal year {fiscal_year} is before the eras this module knows")


def parse_date(text: str) -> date:
    """A date as people and exports write it: 2025/05/12, 2025-05-12, 令和7年5月12日, R7.5.12.

    Full-width digits are folded first. Raises ValueError with the text when it is not a date.
    """
    folded = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", text).strip())
    era = None
    match = _WESTERN_DATE.fullmatch(folded)
    if match:
        year = int(match["year"])
    else:
        match = _WAREKI_DATE.fullmatch(folded)
        if not match:
            raise ValueError(f"日付として読めません / not a date: {text!r}")
        era = match["era"]
        year = _era_year(era, match["year"], text)
    try:
        day = date(year, int(match["month"]), int(match["day"]))
    except ValueError:
        raise ValueError(f"存在しない日付です / no such day: {text!r}") from None
    if era is not None:
        _check_in_era(era, day, text)
    return day


def parse_fiscal_year(text: str) -> int:
    """A fiscal year: 2021, 2021年度, 令和3年度, R3."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d{4}(年度)?", folded):
        return int(folded[:4])
    match = _WAREKI_YEAR.fullmatch(folded)
    if match:
        return _era_year(match["era"], match["year"], text)
    raise ValueError(f"年度として読めません / not a fiscal year: {text!r}")
