"""FAQ files (CSV or .xlsx, as the DX division keeps them in Excel) into the FAQ list.

A file is all or nothing: every row is checked against the FAQ list's real rules (its choices
and lengths, as the list has them now) before anything is written, and replacing the FAQ never
empties it or removes more than `MAX_REPLACE_REMOVAL_SHARE` of it without `force`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from bot.faq.entry import FAQ_LIST, FaqEntry
from config.schema import MAX_TEXT, ColumnSpec, ColumnType, ListSpec
from liststore import ListStore, Upsert, WriteResult
from tabular import RowError, SourceFileError, neutralise, ragged_row_error, read_table, restore, write_csv
from tabular.normalize import fold

COLUMNS = ("id", "question", "alternate_questions", "answer", "category", "tags", "source_url")
REQUIRED = ("id", "question", "answer")
# Cells that may hold several lines; a line break anywhere else is a quote left open.
MULTILINE = frozenset({"alternate_questions", "answer"})
# The file's column for each list column, to name the cell at fault.
FILE_COLUMN = {"FaqId": "id", "Title": "question", "AlternateQuestions": "alternate_questions",
               "Answer": "answer", "Category": "category", "Tags": "tags", "SourceUrl": "source_url"}
# Replacing the FAQ removes at most this share of it unless forced (a truncated file).
MAX_REPLACE_REMOVAL_SHARE = 0.2


class FaqFileError(Exception):
    """The file cannot be read as an FAQ file at all."""


@dataclass(frozen=True, slots=True)
class FaqFile:
    """What an FAQ file holds: its entries, its bad rows, and the list columns it cannot speak
    for because the file has no column for them (those are left as they are on import)."""

    entries: list[FaqEntry]
    errors: list[RowError]
    absent: frozenset[str]
    file: str = ""
    lines: Mapping[str, int] = field(default_factory=dict)  # faq id -> its row in the file

    def checked(self, spec: ListSpec) -> FaqFile:
        """The same file with every entry checked against the FAQ list's rules as `spec` has
        them: entries that break one become errors, in row order with the rest."""
        errors = list(self.errors)
        entries = []
        for entry in self.entries:
            problems = check_entry(entry, spec, self.file, self.lines.get(entry.faq_id, 0))
            errors.extend(problems)
            if not problems:
                entries.append(entry)
        errors.sort(key=lambda e: e.line)
        return FaqFile(entries, errors, self.absent, self.file, self.lines)


def read_faq_file(path: Path, spec: ListSpec | None = None) -> tuple[list[FaqEntry], list[RowError]]:
    """Entries of a CSV (UTF-8, UTF-8 with BOM or cp932) or .xlsx file; bad rows come back as
    errors. With `spec` (the FAQ list as it is), every entry is also checked against its rules."""
    read = read_faq(path, spec)
    return read.entries, read.errors


def read_faq(path: Path, spec: ListSpec | None = None) -> FaqFile:
    """`read_faq_file`, also telling which optional columns the file lacks (and, with `spec`,
    `checked` against the list's rules).

    Cells our exports neutralised against formulas are read back as written; a live formula in
    an .xlsx file is an error naming its cell, since a formula is never what a person meant.
    """
    try:
        table = read_table(path, multiline=MULTILINE, formulas="error")
    except SourceFileError as exc:
        raise FaqFileError(str(exc)) from None
    header = {fold(h).lower(): h for h in table.header}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FaqFileError(f"{path.name}: 列がありません / missing columns: {', '.join(missing)}")
    entries: list[FaqEntry] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, record in table.rows:
        if line in table.ragged:
            errors.append(ragged_row_error(table, line))
            continue
        # Each alternate was neutralised on its own line; every other cell as a whole.
        cell = {c: (record.get(header[c], "").strip() if c == "alternate_questions"
                    else restore(record.get(header[c], "").strip())) if c in header else ""
                for c in COLUMNS}
        problem = next((c for c in REQUIRED if not cell[c]), None)
        if problem:
            errors.append(RowError(path.name, line, problem, "値がありません / value is missing"))
            continue
        faq_id = fold(cell["id"])
        if faq_id in seen:
            errors.append(RowError(path.name, line, "id",
                                   f"id が {seen[faq_id]} 行目と重複しています / duplicate id"))
            continue
        seen[faq_id] = line
        alternates = tuple(restore(q.strip()) for q in cell["alternate_questions"].splitlines()
                           if q.strip())
        entries.append(FaqEntry(faq_id, cell["question"], alternates, cell["answer"],
                                cell["category"] or None, cell["tags"] or None, cell["source_url"] or None))
    absent = frozenset(list_column for list_column, column in FILE_COLUMN.items() if column not in header)
    read = FaqFile(entries, errors, absent, path.name, seen)
    return read.checked(spec) if spec is not None else read


def check_entry(entry: FaqEntry, spec: ListSpec, file: str, line: int) -> list[RowError]:
    """Every way `entry` breaks the FAQ list's rules, each naming the file's column."""
    fields = {spec.key: entry.faq_id, **entry.fields()}
    out = []
    for name, value in fields.items():
        if name not in spec.column_names:
            continue
        column = spec.column(name)
        try:
            column.coerce(value)
        except ValueError as exc:
            out.append(RowError(file, line, FILE_COLUMN.get(name, name), _rule_reason(column, value, exc)))
    return out


def _rule_reason(column: ColumnSpec, value: object, exc: ValueError) -> str:
    if column.type is ColumnType.CHOICE:
        allowed = "、".join(column.choices)
        return (f"カテゴリ「{value}」は FAQ リストの選択肢にありません（使える値: {allowed}）。"
                f"新しいカテゴリとして追加するには --add-categories を付けてください / "
                f"{value!r} is not a choice of {column.name}; allowed: {', '.join(column.choices)}; "
                f"add it with --add-categories")
    if column.type is ColumnType.TEXT and isinstance(value, str) and len(value) > MAX_TEXT:
        return (f"{MAX_TEXT} 文字までです（{len(value)} 文字あります） / longer than {MAX_TEXT} "
                f"characters ({len(value)})")
    if column.type is ColumnType.URL:
        return f"http:// か https:// で始まる URL にしてください / expected an http(s) URL, got {value!r}"
    return f"値が正しくありません / {exc}"


def new_categories(entries: Iterable[FaqEntry], spec: ListSpec) -> list[str]:
    """Categories the entries use that the FAQ list does not offer yet, in first-use order."""
    have = set(spec.column("Category").choices)
    out: list[str] = []
    for e in entries:
        if e.category and e.category not in have and e.category not in out:
            out.append(e.category)
    return out


def with_categories(spec: ListSpec, categories: Sequence[str]) -> ListSpec:
    """`spec` whose Category column also offers `categories`."""
    columns = tuple(
        replace(c, choices=(*c.choices, *(x for x in categories if x not in c.choices)))
        if c.name == "Category" else c for c in spec.columns)
    return replace(spec, columns=columns)


async def stale_ids(store: ListStore, entries: Sequence[FaqEntry]) -> tuple[list[str], int]:
    """FAQ ids a replace would delete, and how many entries the FAQ has now."""
    keep = {e.faq_id for e in entries}
    have = [i.key async for page in store.pages(FAQ_LIST) for i in page]
    return [k for k in have if k not in keep], len(have)


async def import_entries(
    store: ListStore, entries: Sequence[FaqEntry], *, replace: bool,
    keep: frozenset[str] = frozenset(),
) -> tuple[list[WriteResult], list[WriteResult]]:
    """Upsert `entries`; with `replace`, delete FAQ items whose id is not among them.

    `keep`: list columns the file had no column for; an existing entry keeps its values there
    (a file without alternate questions must not wipe them). Nothing is deleted when a write
    failed: a replace that could not write its entries must not take away the ones they were
    meant to replace.
    """
    rows = [Upsert(e.faq_id, {k: v for k, v in e.fields().items() if k not in keep}) for e in entries]
    written = await store.upsert(FAQ_LIST, rows)
    removed: list[WriteResult] = []
    if replace and all(w.ok for w in written):
        stale, _ = await stale_ids(store, entries)
        removed = await store.delete(FAQ_LIST, stale)
    return written, removed


def entry_rows(entries: Sequence[FaqEntry]) -> list[list[str]]:
    """Rows of an FAQ file (header first), the format `read_faq_file` reads back; every cell
    (and every alternate line) safe to open in Excel."""
    return [list(COLUMNS)] + [
        [neutralise(e.faq_id), neutralise(e.question),
         "\n".join(neutralise(q) for q in e.alternate_questions), neutralise(e.answer),
         neutralise(e.category or ""), neutralise(e.tags or ""), neutralise(e.source_url or "")]
        for e in entries
    ]


def write_faq_file(path: Path, entries: Sequence[FaqEntry]) -> None:
    """An FAQ file: .xlsx by extension, else CSV in UTF-8 with BOM (what Excel opens correctly)."""
    rows = entry_rows(entries)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Alignment

        book = Workbook()
        sheet = book.active
        sheet.title = "FAQ"
        for row in rows:
            sheet.append(row)
        for cell in sheet["C"] + sheet["D"]:
            cell.alignment = Alignment(wrap_text=True)
        book.save(path)
        return
    write_csv(path, rows, neutralised=True)  # entry_rows neutralised each alternate on its own line
