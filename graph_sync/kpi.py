"""The programme's KPIs for the DX meeting, computed from the lists the sync keeps and the
Proposals list, and written to the KPI list (keyed by fiscal year × metric × bureau; only what
changed is written) for Power BI.

Per fiscal year (April–March):
- leaders trained, cumulative: デジタル行政推進リーダー whose cohort's fiscal year is this one or
  earlier, whatever their status since (a leader who moved on was still trained), against the
  path of config/kpi.toml (20, 40, … 100);
- the career ladder: serving DX推進リーダー, DXアドバイザー and デジタル行政推進リーダー, and
  staff serving, against their target headcounts;
- 基礎研修修了率: of staff serving (在職), the share who completed every course required of all
  staff that year (completed by the end of that fiscal year), overall and per bureau;
- proposals filed, adopted (採用・一部採用・実施中・完了) and completed, and hours saved (the
  actual hours of the completed ones), against +30% on the year before for proposals filed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from config.clock import JST, fiscal_year_of
from config.kpi import KpiConfig, load_kpi_config
from liststore import ListStore, Upsert

KPI_LIST = "KPI"
SERVING_ROSTER, SERVING_STAFF = "在籍", "在職"
LEADER, ADVISOR, PROMOTER, ALL_STAFF = "デジタル行政推進リーダー", "DXアドバイザー", "DX推進リーダー", "一般職員"
ADOPTED = ("採用", "一部採用", "実施中", "完了")
ALL_STAFF_PROGRAM = "一般職員研修"
NO_BUREAU = "（未設定）"


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Rate:
    done: int
    of: int

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.of, 1) if self.of else 0.0


@dataclass
class Kpis:
    """One fiscal year's figures (and the years before, for the trends)."""

    fiscal_year: int
    measured_on: date
    config: KpiConfig
    leaders_by_year: dict[int, int] = field(default_factory=dict)  # cumulative trained, per fiscal year
    serving: Counter[str] = field(default_factory=Counter)  # tier -> serving headcount
    staff_serving: int = 0
    required_courses: tuple[str, ...] = ()
    completion: Rate = Rate(0, 0)
    completion_by_bureau: dict[str, Rate] = field(default_factory=dict)
    proposals_by_year: dict[int, Counter[str]] = field(default_factory=dict)  # filed, adopted, completed
    hours_saved_by_year: dict[int, float] = field(default_factory=dict)

    @property
    def leaders(self) -> int:
        return self.leaders_by_year.get(self.fiscal_year, 0)

    def proposals(self, key: str, year: int | None = None) -> int:
        return self.proposals_by_year.get(year or self.fiscal_year, Counter())[key]

    @property
    def proposal_target(self) -> int | None:
        before = self.proposals("filed", self.fiscal_year - 1)
        return math.ceil(before * (1 + self.config.proposals.growth_percent / 100)) if before else None

    def rows(self) -> list[dict[str, Any]]:
        """The KPI list's items: key, metric, bureau, value, target, unit."""
        y, ladder = self.fiscal_year, self.config.ladder
        completion_target = self.config.completion.target_percent
        rows = [("リーダー累計人数", None, self.leaders, self.config.leaders.target(y), "人"),
                ("DX推進リーダー人数", None, self.serving[PROMOTER], ladder.get(PROMOTER), "人"),
                ("DXアドバイザー人数", None, self.serving[ADVISOR], ladder.get(ADVISOR), "人"),
                ("デジタル行政推進リーダー人数", None, self.serving[LEADER], ladder.get(LEADER), "人"),
                ("基礎研修修了率", None, self.completion.percent if self.completion.of else None,
                 completion_target, "%"),
                *(("基礎研修修了率", bureau, rate.percent, completion_target, "%")
                  for bureau, rate in sorted(self.completion_by_bureau.items())),
                ("提案件数", None, self.proposals("filed"), self.proposal_target, "件"),
                ("提案採用件数", None, self.proposals("adopted"), None, "件"),
                ("提案完了件数", None, self.proposals("completed"), None, "件"),
                ("削減時間", None, round(self.hours_saved_by_year.get(y, 0.0), 1), None, "時間")]
        return [{"key": f"{y}:{metric}" + (f":{bureau}" if bureau else ""),
                 "Title": f"{y}年度 {metric}" + (f"（{bureau}）" if bureau else ""), "Metric": metric,
                 "FiscalYear": y, "Bureau": bureau, "Value": value, "Target": target, "Unit": unit,
                 "MeasuredOn": self.measured_on.isoformat()}
                for metric, bureau, value, target, unit in rows]


async def _items(store: ListStore, name: str) -> list[Any]:
    return [item async for page in store.pages(name) for item in page]


async def compute(store: ListStore, fiscal_year: int | None = None, today: date | None = None,
                  config: KpiConfig | None = None) -> Kpis:
    """The KPIs of `fiscal_year` (default: this one) as the lists stand."""
    today = today or datetime.now(JST).date()
    year = fiscal_year or fiscal_year_of(today)
    config = config or load_kpi_config()
    kpis = Kpis(year, today, config)

    cohorts: Counter[int] = Counter()
    for item in await _items(store, "LeaderRoster"):
        f = item.fields
        if f.get("RosterStatus") == SERVING_ROSTER:
            kpis.serving[str(f.get("Tier") or "")] += 1
        if f.get("Tier") == LEADER and (cohort := _int(f.get("CohortFiscalYear"))) is not None:
            cohorts[cohort] += 1
    first = config.leaders.first_fiscal_year
    running = sum(n for y, n in cohorts.items() if y < first)  # trained before the path began
    for y in range(first, year + 1):
        running += cohorts[y]
        kpis.leaders_by_year[y] = running

    staff = {item.key: str(item.fields.get("Bureau") or NO_BUREAU) for item in await _items(store, "Staff")
             if item.fields.get("EmploymentStatus", SERVING_STAFF) == SERVING_STAFF
             and item.fields.get("IsActive") is not False}
    kpis.staff_serving = len(staff)
    kpis.serving[ALL_STAFF] = len(staff)
    required = sorted(item.key for item in await _items(store, "Courses")
                      if item.fields.get("IsRequired") is True and item.fields.get("Program") == ALL_STAFF_PROGRAM
                      and (_int(item.fields.get("FirstFiscalYear")) or 0) <= year
                      and (_int(item.fields.get("LastFiscalYear")) or year) >= year)
    kpis.required_courses = tuple(required)
    year_end = date(year + 1, 3, 31)
    done: dict[str, set[str]] = defaultdict(set)
    if required:
        wanted = set(required)
        for item in await _items(store, "CourseCompletions"):
            f = item.fields
            number, course = str(f.get("StaffNumber") or ""), str(f.get("CourseCode") or "")
            completed_on = _day(f.get("CompletedOn"))
            if f.get("Status") == "修了" and course in wanted and number in staff and (
                    completed_on is None or completed_on <= year_end):
                done[number].add(course)
    complete = {number for number, courses in done.items() if len(courses) == len(required)}
    by_bureau: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for number, bureau in staff.items():
        by_bureau[bureau][1] += 1
        by_bureau[bureau][0] += number in complete
    kpis.completion = Rate(len(complete), len(staff)) if required else Rate(0, 0)
    kpis.completion_by_bureau = {b: Rate(d, n) for b, (d, n) in by_bureau.items()} if required else {}

    for item in await _items(store, "Proposals"):
        f = item.fields
        filed_in = _int(f.get("FiscalYear"))
        if filed_in is None or filed_in > year:
            continue
        counts = kpis.proposals_by_year.setdefault(filed_in, Counter())
        counts["filed"] += 1
        status = str(f.get("Status") or "")
        if status in ADOPTED:
            counts["adopted"] += 1
        if status == "完了":
            counts["completed"] += 1
            hours = float(f.get("ActualHoursSaved") or 0)
            kpis.hours_saved_by_year[filed_in] = kpis.hours_saved_by_year.get(filed_in, 0.0) + hours
    return kpis


@dataclass(frozen=True, slots=True)
class Written:
    created: int
    updated: int
    unchanged: int
    removed: int = 0


def _same(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), abs_tol=1e-9)
    return (a if a != "" else None) == (b if b != "" else None)


async def write(store: ListStore, kpis: Kpis) -> Written:
    """The year's rows into the KPI list: new ones created, changed ones updated, rows the year
    no longer has removed, the rest left alone (a rerun the same day writes nothing). 集計日
    alone changing is not a change."""
    existing = {item.key: item.fields for item in await store.query(KPI_LIST, "FiscalYear", kpis.fiscal_year)}
    changes: list[Upsert] = []
    created = unchanged = 0
    keys: set[str] = set()
    for row in kpis.rows():
        key = row.pop("key")
        keys.add(key)
        before = existing.get(key)
        if before is not None and all(_same(before.get(k), v) for k, v in row.items() if k != "MeasuredOn"):
            unchanged += 1
            continue
        created += before is None
        changes.append(Upsert(key, row))
    results = await store.upsert(KPI_LIST, changes) if changes else []
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"KPI list: {len(failed)} row(s) not written: {failed[0].outcome} {failed[0].error}")
    # A row the year no longer has (a bureau without staff now, no course required any more)
    # would go on showing its last figure in Power BI.
    stale = sorted(set(existing) - keys)
    if stale:
        await store.delete(KPI_LIST, stale)
    return Written(created, len(changes) - created, unchanged, len(stale))
