"""Resources: each export's row model and how a valid row becomes a list item.

Rows are validated with pydantic at this edge; what leaves is a plain `{key: fields}` mapping
in the list's canonical values, ready for the pure planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Callable, Iterator, Literal, Mapping

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from config.clock import fiscal_year_of
from config.schema import ListSpec
from graph_sync.mapping import ResourceMapping
from graph_sync.wareki import parse_date, parse_fiscal_year
from tabular import RowError, SourceFileError, Table, cut_off, normalize, ragged_row_error


@dataclass(slots=True)
class Extracted:
    """The valid records of one export, by key, and what the planner must leave alone.

    A skipped row is not a removed one: its key goes into `held` so the list keeps its item
    exactly as it is; a skipped row whose key cannot be read at all sets `hold_all`, because
    then nobody can tell which item it was. A column the export does not carry is unknown, not
    empty: it is in `unknown_columns`, and updates leave it alone.
    """

    resource: str
    list_name: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    held: set[str] = field(default_factory=set)
    hold_all: bool = False
    unknown_columns: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # key -> the row it came from


# ---- field types ---------------------------------------------------------------------------


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _date(value: object) -> object:
    if isinstance(value, str):
        return parse_date(value)
    return value


def _fiscal_year(value: object) -> object:
    if isinstance(value, str):
        return parse_fiscal_year(value)
    return value


def _bool_word(value: object) -> object:
    if isinstance(value, str):
        word = normalize.fold(value).lower()
        if word in {"true", "1", "yes", "はい", "○", "◯"}:
            return True
        if word in {"false", "0", "no", "いいえ", "×", "-"}:
            return False
        raise ValueError("はい／いいえ で指定してください / expected yes or no")
    return value


def _percent(value: object) -> object:
    if isinstance(value, str):
        return normalize.fold(value).rstrip("%％").strip() or None
    return value


StaffNumber = Annotated[str, AfterValidator(normalize.staff_number)]
Code = Annotated[str, AfterValidator(normalize.code)]
Text = Annotated[str, AfterValidator(normalize.fold)]
Name = Annotated[str, AfterValidator(normalize.fold_name)]
Kana = Annotated[str, AfterValidator(normalize.fold_kana)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalDate = Annotated[date | None, BeforeValidator(_date), BeforeValidator(_blank_to_none)]
OptionalYear = Annotated[int | None, BeforeValidator(_fiscal_year), BeforeValidator(_blank_to_none)]
Email = Annotated[str, AfterValidator(lambda v: _check_email(normalize.fold(v).lower()))]


def _check_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("メールアドレスの形式ではありません / not an e-mail address")
    return value


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class StaffRow(_Row):
    """A row of the HR staff export."""

    staff_number: StaffNumber
    name: Name
    name_kana: Annotated[Kana | None, BeforeValidator(_blank_to_none)] = None
    bureau: Text
    section: Text
    job_title: OptionalText = None
    email: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    employment_status: Literal["在職", "休職", "退職"] = "在職"


class CourseRow(_Row):
    """A row of the LMS course catalogue."""

    course_code: Code
    course_name: Text
    program: Literal["一般職員研修", "リーダー育成研修"]
    stage: OptionalText = None
    hours: Annotated[float | None, BeforeValidator(_blank_to_none)] = None
    required: Annotated[bool, BeforeValidator(_bool_word)] = False
    first_fiscal_year: OptionalYear = None
    last_fiscal_year: OptionalYear = None


class CompletionRow(_Row):
    """A row of the LMS completion export."""

    staff_number: StaffNumber
    course_code: Code
    course_name: OptionalText = None
    status: Literal["未受講", "受講中", "修了"]
    progress: Annotated[int | None, BeforeValidator(_percent)] = None
    completed_on: OptionalDate = None


class LeaderRow(_Row):
    """A row of the leader roster."""

    staff_number: StaffNumber
    name: Annotated[Name | None, BeforeValidator(_blank_to_none)] = None
    cohort: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    tier: Literal["DX推進リーダー", "DXアドバイザー", "デジタル行政推進リーダー"]
    certified_on: OptionalDate = None
    roster_status: Literal["在籍", "異動", "退任"] = "在籍"


# ---- transforms ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What transforms may look up: the staff export (by staff number) and programme facts.

    `invalid_staff` are staff numbers whose own row was skipped: rows that refer to them are
    held as they are rather than treated as referring to nobody. `unknown_staff_fields` are
    staff fields the staff export does not carry.
    """

    staff: Mapping[str, StaffRow]
    first_cohort_fiscal_year: int
    invalid_staff: frozenset[str] = frozenset()
    unknown_staff_fields: frozenset[str] = frozenset()
    # Every staff number of the export (valid or not) by its form without leading zeros, to
    # name the number a spreadsheet stripped: built once, not searched for every row.
    by_bare_number: Mapping[str, str] = field(default_factory=dict)


class TransformError(ValueError):
    """A valid row that still cannot become an item; `column` names the field at fault."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


def _staff_fields(row: StaffRow, ctx: Context) -> tuple[str, dict[str, Any]]:
    return row.staff_number, {
        "Title": row.name,
        "NameKana": row.name_kana,
        "Bureau": row.bureau,
        "Section": row.section,
        "JobTitle": row.job_title,
        "Email": row.email,
        "EmploymentStatus": row.employment_status,
        "IsActive": row.employment_status != "退職",
    }


def _course_fields(row: CourseRow, ctx: Context) -> tuple[str, dict[str, Any]]:
    return row.course_code, {
        "Title": row.course_name,
        "Program": row.program,
        "Stage": row.stage,
        "Hours": row.hours,
        "IsRequired": row.required,
        "FirstFiscalYear": row.first_fiscal_year,
        "LastFiscalYear": row.last_fiscal_year,
    }


def _known_staff(number: str, ctx: Context) -> StaffRow:
    person = ctx.staff.get(number)
    if person is None and number in ctx.invalid_staff:
        raise TransformError(
            "staff_number", f"職員番号 {number} の職員データの行にエラーがあるため、この行は前回のまま"
                            f"残します / the person's staff row has errors; this row is left as it was")
    if person is None:
        padded = ctx.by_bare_number.get(normalize.without_leading_zeros(number))
        if padded is not None and padded != number:
            raise TransformError(
                "staff_number", f"職員番号 {number} は職員データにありません。{padded} の先頭の 0 が"
                                f"落ちた可能性があります（Excel で開いて保存した場合など） / unknown staff "
                                f"number; {padded} without its leading zeros?")
        raise TransformError(
            "staff_number", f"職員番号 {number} は職員データにありません / unknown staff number"
        )
    return person


def _completion_fields(row: CompletionRow, ctx: Context) -> tuple[str, dict[str, Any]]:
    person = _known_staff(row.staff_number, ctx)
    progress: int | None
    if row.status == "修了":
        progress = 100
    elif row.status == "未受講":
        progress = 0
    else:
        progress = row.progress
    if progress is not None and not 0 <= progress <= 100:
        raise TransformError("progress", "進捗率は 0〜100 です / progress must be 0 to 100")
    completed_on = row.completed_on if row.status == "修了" else None
    return f"{row.staff_number}_{row.course_code}", {
        "Title": f"{person.name} / {row.course_name or row.course_code}",
        "StaffNumber": row.staff_number,
        "CourseCode": row.course_code,
        "Bureau": person.bureau,
        "Section": person.section,
        "Status": row.status,
        "ProgressPercent": progress,
        "CompletedOn": completed_on,
        "FiscalYear": fiscal_year_of(completed_on) if completed_on else None,
    }


def _cohort(value: str | None, ctx: Context) -> tuple[int | None, int | None]:
    """(cohort number, cohort fiscal year) from 第3期, 3, 2023, 令和5年度 …"""
    if value is None:
        return None, None
    folded = normalize.fold(value).removeprefix("第").removesuffix("期生").removesuffix("期")
    if folded.isdigit() and len(folded) <= 2:
        number = int(folded)
        return number, ctx.first_cohort_fiscal_year + number - 1
    try:
        year = parse_fiscal_year(value)
    except ValueError:
        raise TransformError("cohort", f"期 {value!r} が読めません / cannot read the cohort") from None
    return year - ctx.first_cohort_fiscal_year + 1, year


def _leader_fields(row: LeaderRow, ctx: Context) -> tuple[str, dict[str, Any]]:
    person = _known_staff(row.staff_number, ctx)
    number, year = _cohort(row.cohort, ctx)
    return row.staff_number, {
        "Title": person.name,
        "Tier": row.tier,
        "Cohort": number,
        "CohortFiscalYear": year,
        "CertifiedOn": row.certified_on,
        "RosterStatus": row.roster_status,
        "Bureau": person.bureau,
        "Section": person.section,
        "Email": person.email,
    }


@dataclass(frozen=True, slots=True)
class ResourceDef:
    """The code side of a resource: its row model, its transform, and what each field fills.

    `key` names the fields the item key is made of (joined by `_`), so the key of a row that
    fails validation can still be read and its item held. `fills` maps an optional field to the
    list columns it determines; `fills_from_staff` does the same for staff fields a transform
    copies. Both say which columns become unknown when the export lacks a header.
    """

    model: type[_Row]
    to_fields: Callable[[Any, Context], tuple[str, dict[str, Any]]]
    key: tuple[str, ...]
    fills: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fills_from_staff: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


RESOURCES: dict[str, ResourceDef] = {
    "staff": ResourceDef(StaffRow, _staff_fields, ("staff_number",), fills={
        "name_kana": ("NameKana",), "job_title": ("JobTitle",), "email": ("Email",),
        "employment_status": ("EmploymentStatus", "IsActive"),
    }),
    "courses": ResourceDef(CourseRow, _course_fields, ("course_code",), fills={
        "stage": ("Stage",), "hours": ("Hours",), "required": ("IsRequired",),
        "first_fiscal_year": ("FirstFiscalYear",), "last_fiscal_year": ("LastFiscalYear",),
    }),
    "completions": ResourceDef(CompletionRow, _completion_fields, ("staff_number", "course_code"), fills={
        "course_name": ("Title",), "progress": ("ProgressPercent",),
        "completed_on": ("CompletedOn", "FiscalYear"),
    }),
    "leaders": ResourceDef(LeaderRow, _leader_fields, ("staff_number",), fills={
        "cohort": ("Cohort", "CohortFiscalYear"), "certified_on": ("CertifiedOn",),
        "roster_status": ("RosterStatus",),
    }, fills_from_staff={"email": ("Email",)}),
}

# How a key field is spelled in an item key; the same folding the row models apply.
_KEY_PARTS: dict[str, Callable[[str], str]] = {
    "staff_number": normalize.staff_number,
    "course_code": normalize.code,
}


def raw_key(definition: ResourceDef, raw: Mapping[str, str]) -> str | None:
    """The item key a raw row names, or None when a part of it is missing or unreadable."""
    parts = []
    for name in definition.key:
        try:
            parts.append(_KEY_PARTS[name](raw.get(name) or ""))
        except ValueError:
            return None
    return "_".join(parts)


# ---- extraction ----------------------------------------------------------------------------


def _pydantic_reason(error: Mapping[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if "/" in message:  # our own validators already speak both languages
        return message
    if error["type"] == "missing":
        return "値がありません / value is missing"
    return f"値が正しくありません / {message}"


def _headers(table: Table, mapping: ResourceMapping, model: type[_Row]) -> dict[str, str]:
    """Model field → the export's header for it; a missing required header stops the file."""
    headers: dict[str, str] = {}
    for name, info in model.model_fields.items():
        header = mapping.header_for(name, table.header)
        if header is not None:
            headers[name] = header
        elif info.is_required():
            spellings = "／".join(mapping.columns.get(name, [name]))
            raise SourceFileError(
                f"{table.path.name}: 見出し「{spellings}」がありません / required column missing"
            )
    return headers


def _raw_rows(table: Table, mapping: ResourceMapping, headers: Mapping[str, str]
              ) -> Iterator[tuple[int, dict[str, str]]]:
    for line, record in table.rows:
        yield line, {name: mapping.canonical_value(name, record.get(h, "").strip())
                     for name, h in headers.items()}


def _row_errors(exc: ValidationError, table: Table, line: int, headers: Mapping[str, str]
                ) -> list[RowError]:
    out = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        out.append(RowError(table.path.name, line, headers.get(name, name), _pydantic_reason(err)))
    return out


def _unknown_columns(table: Table, mapping: ResourceMapping, definition: ResourceDef,
                     headers: Mapping[str, str], spec: ListSpec, ctx: Context
                     ) -> tuple[frozenset[str], list[str]]:
    """List columns this export cannot speak for, and a warning for each missing header."""
    unknown: set[str] = set()
    warnings: list[str] = []
    for name, columns in definition.fills.items():
        if name in headers:
            continue
        unknown.update(columns)
        spellings = "／".join(mapping.columns.get(name, [name]))
        shown = "・".join(spec.column(c).display for c in columns)
        warnings.append(
            f"{table.path.name}: 見出し「{spellings}」がないため、{shown} は変更しません / "
            f"no column for {name}: {', '.join(columns)} left as they are")
    for name, columns in definition.fills_from_staff.items():
        if name in ctx.unknown_staff_fields:
            unknown.update(columns)
            shown = "・".join(spec.column(c).display for c in columns)
            warnings.append(
                f"{table.path.name}: 職員データに {name} の列がないため、{shown} は変更しません / "
                f"the staff export has no {name}: {', '.join(columns)} left as they are")
    return frozenset(unknown), warnings


def extract(
    table: Table, mapping: ResourceMapping, spec: ListSpec, ctx: Context
) -> Extracted:
    """Valid records of `table` by key in the list's canonical values; bad rows reported and
    their items held."""
    definition = RESOURCES[mapping.name]
    out = Extracted(mapping.name, mapping.list, rows_read=len(table))
    headers = _headers(table, mapping, definition.model)
    out.unknown_columns, out.warnings = _unknown_columns(table, mapping, definition, headers, spec, ctx)
    unreadable_key = False

    def hold(raw: Mapping[str, str]) -> None:
        nonlocal unreadable_key
        key = raw_key(definition, raw)
        if key is None:
            out.hold_all = unreadable_key = True
        else:
            out.held.add(key)

    # Row by row: validated models are turned into records at once, never all held together.
    for line, raw in _raw_rows(table, mapping, headers):
        if line in table.ragged:
            out.errors.append(ragged_row_error(table, line))
            hold(raw)
            continue
        try:
            row = definition.model.model_validate(raw)
        except ValidationError as exc:
            out.errors.extend(_row_errors(exc, table, line, headers))
            hold(raw)
            continue
        try:
            key, fields = definition.to_fields(row, ctx)
            fields[spec.key] = key
            clean = spec.coerce(fields, creating=True)
        except TransformError as exc:
            header = mapping.header_for(exc.column, table.header) or exc.column
            out.errors.append(RowError(table.path.name, line, header, str(exc)))
            hold(raw)
            continue
        except ValueError as exc:
            out.errors.append(RowError(table.path.name, line, "-", f"値が正しくありません / {exc}"))
            hold(raw)
            continue
        if key in out.lines:
            out.errors.append(RowError(
                table.path.name, line, spec.column(spec.key).display,
                f"キー {key} が {out.lines[key]} 行目と重複しています / duplicate key, first at row "
                f"{out.lines[key]}",
            ))
            continue
        out.lines[key] = line
        out.records[key] = clean
    last_row = table.rows[-1][0] if table.rows else None
    if not table.ends_cleanly and last_row is not None:
        if any(e.line == last_row for e in out.errors):
            # No final line break and a last row that does not read: the copy stopped
            # part-way, and whatever came after that row is missing too.
            raise cut_off(table.path, last_row)
        # No final line break, and a last row that happens to read (a date cut to another
        # valid date): it may still be cut short, and rows after it lost. Use none of it and
        # remove nothing; a complete export ends with a line break.
        last_key = next((k for k, line in out.lines.items() if line == last_row), None)
        if last_key is not None:
            out.records.pop(last_key, None)
            out.held.add(last_key)
        out.hold_all = True
        out.warnings.append(
            f"{table.path.name}: ファイルが改行で終わっていないため、途中で切れている可能性があります。最後の行"
            f"（{last_row} 行目）は反映せず、今回はこのリストから何も削除・無効化しません / the file does "
            f"not end with a line break and may be cut short: its last row is not applied and nothing "
            f"is removed from {mapping.list} this run")
    if unreadable_key:
        out.warnings.append(
            f"{table.path.name}: キー（{'・'.join(mapping.columns.get(k, [k])[0] for k in definition.key)}）"
            f"が読めない行があるため、今回はこのリストから何も削除・無効化しません / a skipped row has "
            f"no readable key: nothing is removed from {mapping.list} this run")
    return out


def staff_context(table: Table, mapping: ResourceMapping, first_cohort_fiscal_year: int) -> Context:
    """What other resources look up in the staff export: valid people by staff number, the
    numbers whose rows were skipped, and the staff fields the export does not carry."""
    headers = _headers(table, mapping, StaffRow)
    staff: dict[str, StaffRow] = {}
    invalid: set[str] = set()
    for line, raw in _raw_rows(table, mapping, headers):
        try:
            if line in table.ragged:
                raise ValueError("ragged")
            row = StaffRow.model_validate(raw)
        except ValueError:  # pydantic's ValidationError is one
            key = raw_key(RESOURCES["staff"], raw)
            if key is not None:
                invalid.add(key)
            continue
        staff.setdefault(row.staff_number, row)
    absent = frozenset(StaffRow.model_fields) - headers.keys()
    bare = {normalize.without_leading_zeros(n): n for n in (*invalid, *staff)}
    return Context(staff, first_cohort_fiscal_year, frozenset(invalid - staff.keys()), absent, bare)
