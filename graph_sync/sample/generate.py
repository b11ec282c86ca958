"""Generate a realistic, deterministic sample city as the CSV exports its systems would write.

Same seed, same bytes: tests and demos can rely on the files. No clock is read; the data is
"as of" a fixed date that callers may override.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Sequence

from graph_sync.sample.city import (
    ALL_STAFF,
    BUREAUS,
    COHORT_SIZE,
    COURSES,
    DX_DIVISION,
    GIVEN_NAMES,
    JOB_TITLES,
    LEADER,
    LEADER_COHORT_YEARS,
    MAIL_DOMAIN,
    SURNAMES,
    TIER_ADVISOR,
    TIER_SECTION,
    TIER_TOP,
)
from graph_sync.wareki import to_wareki_date, to_wareki_year

# A row of an export, cell by cell.
Row = tuple[str, ...]

DEFAULT_SEED = 2021
DEFAULT_STAFF = 2000
DEFAULT_AS_OF = date(2026, 10, 31)

STAFF_FILE = "staff.csv"
COURSES_FILE = "courses.csv"
COMPLETIONS_FILE = "completions.csv"
LEADERS_FILE = "leaders.csv"

STAFF_HEADER = ("職員番号", "氏名", "氏名カナ", "所属部局", "所属課", "職名", "メールアドレス", "在職区分")
COURSES_HEADER = ("研修コード", "研修名", "研修区分", "段階", "時間", "必須", "開始年度", "終了年度")
COMPLETIONS_HEADER = ("職員番号", "研修コード", "研修名", "受講状況", "進捗率", "修了日")
LEADERS_HEADER = ("職員番号", "氏名", "期", "区分", "認定日", "状態")


@dataclass(frozen=True, slots=True)
class Person:
    """One member of staff as the HR system knows them."""

    number: str
    name: str
    kana: str
    bureau: str
    section: str
    title: str
    email: str
    status: str


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What was written, for the CLI to report."""

    out_dir: Path
    staff: int
    bureaus: int
    sections: int
    courses: int
    completions: int
    leaders: int
    encoding: str


def fiscal_year(day: date) -> int:
    """The Japanese fiscal year (April to March) a date falls in."""
    return day.year if day.month >= 4 else day.year - 1


def _allocate(rng: random.Random, total: int) -> list[tuple[str, str, int]]:
    """Head counts per section: uneven, at least three people each, summing to `total`."""
    sections = [(b, s) for b, names in BUREAUS.items() for s in names]
    weights = [rng.uniform(0.5, 2.0) * (1.6 if b in {"消防局", "上下水道局", "福祉局"} else 1.0)
               for b, _ in sections]
    floor = min(3, total // len(sections))
    spare = total - floor * len(sections)
    raw = [spare * w / sum(weights) for w in weights]
    counts = [floor + int(r) for r in raw]
    # Largest remainders get the people rounding left over.
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return [(b, s, n) for (b, s), n in zip(sections, counts)]


def _half_width_kana(text: str) -> str:
    """Katakana as old HR systems export it (ﾔﾏﾀﾞ ﾀﾛｳ); NFKC undoes it."""
    out = []
    for ch in text:
        if ch == "\u3000":
            out.append(" ")
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        half = _FULL_TO_HALF.get(base, base)
        out.append(half + "".join({"\u3099": "ﾞ", "\u309a": "ﾟ"}.get(m, m) for m in marks))
    return "".join(out)


_HALF = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ"
_FULL_TO_HALF = {unicodedata.normalize("NFKC", h): h for h in _HALF}


def _full_width_digits(text: str) -> str:
    return text.translate({ord(d): chr(ord(d) + 0xFEE0) for d in "0123456789"})


def _make_staff(rng: random.Random, total: int) -> list[Person]:
    numbers = rng.sample(range(10000, 1000000), total)
    titles, title_weights = zip(*JOB_TITLES)
    used_mail: Counter[str] = Counter()
    people = []
    i = 0
    for bureau, section, count in _allocate(rng, total):
        for _ in range(count):
            surname = rng.choice(SURNAMES)
            given = rng.choice(GIVEN_NAMES)
            local = f"{surname.romaji}-{given.romaji}"
            used_mail[local] += 1
            if used_mail[local] > 1:
                local = f"{local}{used_mail[local]}"
            kana = f"{surname.kana}\u3000{given.kana}"
            if rng.random() < 0.03:
                kana = _half_width_kana(kana)
            status = rng.choices(("在職", "休職", "退職"), (0.97, 0.02, 0.01))[0]
            people.append(Person(
                number=f"{numbers[i]:06d}",
                name=f"{surname.kanji}\u3000{given.kanji}",  # HR exports use a full-width space
                kana=kana,
                bureau=bureau,
                section=section,
                title=rng.choices(titles, title_weights)[0],
                email=f"{local}@{MAIL_DOMAIN}",
                status=status,
            ))
            i += 1
    return people


def _date_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def _spell_date(rng: random.Random, day: date) -> str:
    """Dates as LMS exports and hand-kept sheets spell them."""
    form = rng.random()
    if form < 0.6:
        return f"{day.year}/{day.month:02d}/{day.day:02d}"
    if form < 0.85:
        return day.isoformat()
    return to_wareki_date(day)


def _all_staff_rows(rng: random.Random, people: list[Person], as_of: date) -> list[Row]:
    rows: list[Row] = []
    current_fy = fiscal_year(as_of)
    for course in (c for c in COURSES if c.program == ALL_STAFF):
        opened = date(course.first_year, 4, 1)
        years_open = (as_of - opened).days / 365
        for person in people:
            p_done = min(0.96, 0.35 + 0.22 * years_open) * (1.0 if course.required else 0.55)
            if person.status == "休職":
                p_done *= 0.3
            number = person.number
            if rng.random() < 0.005:
                number = _full_width_digits(number)  # typed by hand into the LMS
            roll = rng.random()
            if roll < p_done:
                status = "修了済" if rng.random() < 0.02 else "修了"
                done_on = _date_between(rng, opened, as_of)
                rows.append((number, course.code, course.name, status, "100", _spell_date(rng, done_on)))
            elif roll < p_done + (1 - p_done) * 0.4 and course.first_year <= current_fy:
                rows.append((number, course.code, course.name, "受講中", str(rng.randint(5, 95)), ""))
            else:
                rows.append((number, course.code, course.name, "未受講", "0", ""))
    return rows


def _pick_leaders(rng: random.Random, people: list[Person]) -> dict[int, list[Person]]:
    """Twenty trainees a year, one to three per bureau, spread over sections."""
    eligible = [p for p in people if p.status == "在職"
                and p.title in {"主事", "主任", "主査", "係長", "技師"}]
    by_bureau: dict[str, list[Person]] = defaultdict(list)
    for p in eligible:
        by_bureau[p.bureau].append(p)
    covered_sections: set[tuple[str, str]] = set()
    chosen_ids: set[str] = set()
    cohorts: dict[int, list[Person]] = {}
    bureaus = sorted(BUREAUS)
    for year in LEADER_COHORT_YEARS:
        quota = {b: 1 for b in bureaus}
        extra = COHORT_SIZE - len(bureaus)
        while extra:
            b = rng.choice(bureaus)
            if quota[b] < 3:
                quota[b] += 1
                extra -= 1
        cohort = []
        for b in bureaus:
            pool = [p for p in by_bureau[b] if p.number not in chosen_ids]
            rng.shuffle(pool)
            # Sections without a leader first: the target is one leader per section.
            pool.sort(key=lambda p: (p.bureau, p.section) in covered_sections)
            for p in pool[: quota[b]]:
                cohort.append(p)
                chosen_ids.add(p.number)
                covered_sections.add((p.bureau, p.section))
        cohorts[year] = cohort
    return cohorts


def _leader_rows(
    rng: random.Random, people: list[Person], cohorts: dict[int, list[Person]]
) -> list[Row]:
    rows: list[Row] = []
    in_roster: set[str] = set()

    def add(p: Person, cohort_year: int | None, tier: str, certified: date) -> None:
        status = rng.choices(("在籍", "異動", "退任"), (0.89, 0.08, 0.03))[0]
        period = to_wareki_year(cohort_year) if cohort_year else ""
        rows.append((p.number, p.name, period, tier, _spell_date(rng, certified), status))
        in_roster.add(p.number)

    promoted: set[str] = set()
    early = [p for y in (2021, 2022, 2023) for p in cohorts[y]]
    promoted.update(p.number for p in rng.sample(early, 25))
    for year, cohort in cohorts.items():
        for p in cohort:
            if p.number in promoted:
                add(p, year, TIER_ADVISOR, date(rng.choice((2024, 2025)), 3, rng.randint(10, 25)))
            else:
                add(p, year, TIER_SECTION, date(year, 11, rng.randint(20, 28)))
    others = [p for p in people if p.status == "在職" and p.number not in in_roster
              and p.title != "会計年度任用職員"]
    dx_division = [p for p in others if (p.bureau, p.section) == DX_DIVISION]
    managers = [p for p in others if p.title in {"課長", "課長補佐"} and p not in dx_division]
    for p in (dx_division[:4] + rng.sample(managers, 6))[:10]:
        add(p, None, TIER_TOP, date(2021, 4, 1))
    rest = [p for p in others if p.number not in in_roster]
    for p in rng.sample(rest, 15):
        add(p, None, TIER_ADVISOR, date(rng.choice((2023, 2024, 2025)), 3, rng.randint(10, 25)))
    return rows


def _leader_course_rows(
    rng: random.Random, cohorts: dict[int, list[Person]], as_of: date
) -> list[Row]:
    rows: list[Row] = []
    for course in (c for c in COURSES if c.program == LEADER):
        for year in course.leader_years:
            for p in cohorts[year]:
                optional_skip = not course.required and rng.random() < 0.3
                if optional_skip:
                    rows.append((p.number, course.code, course.name, "未受講", "0", ""))
                    continue
                done_on = _date_between(rng, date(year, 5, 10), min(date(year, 11, 20), as_of))
                rows.append((p.number, course.code, course.name, "修了", "100", _spell_date(rng, done_on)))
    return rows


def _course_rows() -> list[Row]:
    return [
        (c.code, c.name, c.program, c.stage, f"{c.hours:g}", "必須" if c.required else "任意",
         str(c.first_year), str(c.last_year or ""))
        for c in COURSES
    ]


def _write_csv(path: Path, header: tuple[str, ...], rows: Sequence[Row], encoding: str) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")  # as Excel writes it
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def generate(
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    staff: int = DEFAULT_STAFF,
    as_of: date = DEFAULT_AS_OF,
    encoding: str = "cp932",
) -> SampleSummary:
    """Write the sample city's exports into `out_dir` and say what was written."""
    if staff < 300:
        raise ValueError("the sample city needs at least 300 staff (five cohorts of leaders)")
    rng = random.Random(seed)
    people = _make_staff(rng, staff)
    cohorts = _pick_leaders(rng, people)
    completions = _all_staff_rows(rng, people, as_of) + _leader_course_rows(rng, cohorts, as_of)
    leaders = _leader_rows(rng, people, cohorts)
    out_dir.mkdir(parents=True, exist_ok=True)
    staff_rows = [(p.number, p.name, p.kana, p.bureau, p.section, p.title, p.email, p.status)
                  for p in people]
    _write_csv(out_dir / STAFF_FILE, STAFF_HEADER, staff_rows, encoding)
    _write_csv(out_dir / COURSES_FILE, COURSES_HEADER, _course_rows(), encoding)
    _write_csv(out_dir / COMPLETIONS_FILE, COMPLETIONS_HEADER, completions, encoding)
    _write_csv(out_dir / LEADERS_FILE, LEADERS_HEADER, leaders, encoding)
    return SampleSummary(
        out_dir=out_dir,
        staff=len(people),
        bureaus=len({p.bureau for p in people}),
        sections=len({(p.bureau, p.section) for p in people}),
        courses=len(COURSES),
        completions=len(completions),
        leaders=len(leaders),
        encoding=encoding,
    )


SAMPLE_FILES = (STAFF_FILE, COURSES_FILE, COMPLETIONS_FILE, LEADERS_FILE)
