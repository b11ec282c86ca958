"""One person's training as the synced lists hold it: every course they have a record of, the
required courses of this fiscal year still to complete and by when, and their leader
certification.

The lists are the sync's (CourseCompletions from the LMS and e-learning exports, Courses,
LeaderRoster); the bot only reads them. A required course with no record yet counts as 未受講:
the LMS exports a row only once someone has been enrolled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Callable

from bot.people import StaffRecord
from bot.proposals.numbering import fiscal_year
from config.clock import JST, Clock, utc_now
from config.training import TrainingConfig, load_training_config
from liststore import Item, ListStore

COURSES, COMPLETIONS, ROSTER = "Courses", "CourseCompletions", "LeaderRoster"
ALL_STAFF = "一般職員研修"
DONE, IN_PROGRESS, NOT_STARTED = "修了", "受講中", "未受講"
SERVING = "在籍"
COURSES_FOR_SECONDS = 300.0  # the course list changes with the nightly sync at most


@dataclass(frozen=True, slots=True)
class Course:
    code: str
    name: str
    program: str
    required: bool
    first_year: int | None
    last_year: int | None

    def required_in(self, year: int) -> bool:
        """A course every member of staff must complete in fiscal year `year`."""
        return (self.required and self.program == ALL_STAFF and (self.first_year or 0) <= year
                and (self.last_year is None or year <= self.last_year))


@dataclass(frozen=True, slots=True)
class CourseLine:
    """One course of a person's record."""

    code: str
    name: str
    program: str
    status: str
    progress: int | None = None
    completed_on: date | None = None
    deadline: date | None = None  # when it is required this fiscal year


@dataclass(frozen=True, slots=True)
class Certification:
    tier: str
    cohort: int | None
    certified_on: date | None


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    staff: StaffRecord
    fiscal_year: int
    today: date
    courses: tuple[CourseLine, ...]
    certification: Certification | None

    @property
    def due(self) -> tuple[CourseLine, ...]:
        """This year's required courses not completed yet, soonest deadline first."""
        return tuple(sorted((c for c in self.courses if c.deadline and c.status != DONE),
                            key=lambda c: (c.deadline or date.max, c.code)))


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def course_of(item: Item) -> Course:
    f = item.fields
    return Course(item.key, str(f.get("Title") or item.key), str(f.get("Program") or ""), f.get("IsRequired") is True,
                  _int(f.get("FirstFiscalYear")), _int(f.get("LastFiscalYear")))


class TrainingRecords:
    """Reads one person's record from the lists."""

    def __init__(self, store: ListStore, config: TrainingConfig | None = None, clock: Clock = utc_now,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store, self.clock, self._monotonic = store, clock, monotonic
        self.config = config or load_training_config()
        self._courses: tuple[float, dict[str, Course]] | None = None

    def today(self) -> date:
        return self.clock().astimezone(JST).date()

    def fiscal_year(self) -> int:
        return fiscal_year(self.clock())

    async def courses(self) -> dict[str, Course]:
        now = self._monotonic()
        if self._courses is None or now - self._courses[0] > COURSES_FOR_SECONDS:
            found = {i.key: course_of(i) async for page in self._store.pages(COURSES) for i in page}
            self._courses = (now, found)
        return self._courses[1]

    def deadline(self, course: Course, year: int) -> date | None:
        return self.config.deadlines.of(course.code, year) if course.required_in(year) else None

    async def record_of(self, staff: StaffRecord) -> TrainingRecord:
        year, courses = self.fiscal_year(), await self.courses()
        rows = await self._store.query(COMPLETIONS, "StaffNumber", staff.staff_number)
        lines: dict[str, CourseLine] = {}
        for row in sorted(rows, key=lambda r: (_int(r.fields.get("FiscalYear")) or 0, r.key)):
            f = row.fields
            code = str(f.get("CourseCode") or "")
            course = courses.get(code) or Course(code, str(f.get("Title") or code), "", False, None, None)
            line = CourseLine(code, course.name, course.program, str(f.get("Status") or NOT_STARTED),
                              _int(f.get("ProgressPercent")), _day(f.get("CompletedOn")), self.deadline(course, year))
            if lines.get(code) is None or lines[code].status != DONE:  # once completed, completed
                lines[code] = line
        for course in courses.values():
            if course.code not in lines and course.required_in(year):
                lines[course.code] = CourseLine(course.code, course.name, course.program, NOT_STARTED,
                                                deadline=self.deadline(course, year))
        ordered = sorted(lines.values(), key=lambda c: (c.program != ALL_STAFF, c.status == DONE, c.code))
        return TrainingRecord(staff, year, self.today(), tuple(ordered), await self._certification(staff))

    async def _certification(self, staff: StaffRecord) -> Certification | None:
        leader = await self._store.get(ROSTER, staff.staff_number)
        if leader is None or leader.fields.get("RosterStatus") != SERVING:
            return None
        f = leader.fields
        return Certification(str(f.get("Tier") or ""), _int(f.get("Cohort")), _day(f.get("CertifiedOn")))


def staff_of(item: Item) -> StaffRecord:
    f = item.fields
    return StaffRecord(item.key, str(f.get("Title") or ""), f.get("Email"), f.get("Section"), f.get("Bureau"))


