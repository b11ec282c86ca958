"""FAQ files (CSV, as the DX division keeps them in Excel) into the FAQ list."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Sequence

from graph_sync.normalize import fold
from graph_sync.resources import RowError
from graph_sync.sources.tabular import SourceFileError, read_table
from liststore import ListStore, Upsert, WriteResult

FAQ_LIST = "FAQ"
COLUMNS = ("id", "question", "alternate_questions", "answer", "category", "tags", "source_url")
REQUIRED = ("id", "question", "answer")


class FaqFileError(Exception):
    """The file cannot be read as an FAQ file at all."""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and its answer."""

    faq_id: str
    question: str
    alternate_questions: tuple[str, ...]
    answer: str
    category: str | None
    tags: str | None
    source_url: str | None

    def fields(self) -> dict[str, object]:
        """The FAQ list's columns for this entry."""
        return {
            "Title": self.question[:255],
            "AlternateQuestions": "\n".join(self.alternate_questions) or None,
            "Answer": self.answer,
            "Category": self.category,
            "Tags": self.tags,
            "SourceUrl": self.source_url,
            "IsPublished": True,
        }


def seed_entries() -> list[FaqEntry]:
    """The FAQ the product ships with (config/faq_seed.toml)."""
    data = tomllib.loads(resources.files("config").joinpath("faq_seed.toml").read_text("utf-8"))
    return [FaqEntry(f["id"], f["question"], tuple(f.get("alternate_questions", [])), f["answer"],
                     f.get("category"), f.get("tags"), f.get("source_url"))
            for f in data["faq"]]


def read_faq_file(path: Path) -> tuple[list[FaqEntry], list[RowError]]:
    """Entries of a CSV file (UTF-8, UTF-8 with BOM or cp932); bad rows come back as errors."""
    try:
        table = read_table(path)
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
        cell = {c: record.get(header[c], "").strip() if c in header else "" for c in COLUMNS}
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
        alternates = tuple(q.strip() for q in cell["alternate_questions"].splitlines() if q.strip())
        entries.append(FaqEntry(faq_id, cell["question"], alternates, cell["answer"],
                                cell["category"] or None, cell["tags"] or None,
                                cell["source_url"] or None))
    return entries, errors


async def import_entries(
    store: ListStore, entries: Sequence[FaqEntry], *, replace: bool
) -> tuple[list[WriteResult], list[WriteResult]]:
    """Upsert `entries`; with `replace`, delete FAQ items whose id is not among them."""
    written = await store.upsert(FAQ_LIST, [Upsert(e.faq_id, e.fields()) for e in entries])
    removed: list[WriteResult] = []
    if replace:
        keep = {e.faq_id for e in entries}
        stale = [i.key async for page in store.pages(FAQ_LIST) for i in page if i.key not in keep]
        removed = await store.delete(FAQ_LIST, stale)
    return written, removed


def entry_rows(entries: Sequence[FaqEntry]) -> list[list[str]]:
    """Rows of an FAQ file (header first), the format `read_faq_file` reads back."""
    return [list(COLUMNS)] + [
        [e.faq_id, e.question, "\n".join(e.alternate_questions), e.answer, e.category or "",
         e.tags or "", e.source_url or ""]
        for e in entries
    ]


def write_faq_file(path: Path, entries: Sequence[FaqEntry]) -> None:
    """An FAQ file: .xlsx by extension, else CSV in UTF-8 with BOM (what Excel opens correctly)."""
    import csv
    import io

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
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
