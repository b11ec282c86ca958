"""CSV exports as Japanese systems write them: UTF-8, UTF-8 with BOM, or Shift_JIS (cp932)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from dataclasses import dataclass
from pathlib import Path

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932")


class SourceFileError(Exception):
    """The file cannot be read at all (missing, empty, undecodable, no header)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A decoded export: its header, its rows with their line numbers, and how it was read."""

    path: Path
    encoding: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]

    def __len__(self) -> int:
        return len(self.rows)


def detect_encoding(data: bytes) -> str:
    """utf-8-sig when a BOM is present, utf-8 when the bytes decode as such, else cp932.

    Valid UTF-8 is very unlikely to be Shift_JIS text by accident (its multi-byte sequences
    rarely form valid UTF-8), so the order of the tries is what makes this reliable.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def find_export(folder: Path, name: str) -> Path:
    """The export called `name`, or the same stem as .csv/.xlsx when only that was dropped."""
    exact = folder / name
    if exact.exists():
        return exact
    stem = Path(name).stem
    for suffix in (".csv", *EXCEL_SUFFIXES):
        candidate = folder / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    return exact


def _cell_text(value: object) -> str:
    """An Excel cell as the text a CSV export would have carried."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_excel(path: Path) -> Table:
    """The first worksheet of an .xlsx file; its first row is the header."""
    from openpyxl import load_workbook  # imported here: only Excel exports need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise SourceFileError(f"{path}: ファイルがありません / file not found") from None
    except Exception as exc:  # openpyxl raises several kinds for a damaged or wrong file
        raise SourceFileError(f"{path}: Excel ファイルとして読めません / not a readable .xlsx ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        try:
            header = tuple(_cell_text(c).strip() for c in next(rows_iter))
        except StopIteration:
            raise SourceFileError(f"{path}: 見出し行がありません / no header row") from None
        rows = []
        for number, values in enumerate(rows_iter, start=2):
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            rows.append((number, {name: (cells[i] if i < len(cells) else "")
                                  for i, name in enumerate(header) if name}))
    finally:
        workbook.close()
    return Table(path=path, encoding="xlsx", header=header, rows=tuple(rows))


def read_table(path: Path, encoding: str = "auto") -> Table:
    """Read a CSV or .xlsx export; CSV header cells are stripped of spaces and a stray BOM."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return read_excel(path)
    if encoding not in ENCODINGS:
        raise SourceFileError(f"{path}: unknown encoding {encoding!r} (use one of {', '.join(ENCODINGS)})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceFileError(f"{path}: ファイルがありません / file not found") from None
    if not data.strip():
        raise SourceFileError(f"{path}: ファイルが空です / the file is empty")
    chosen = detect_encoding(data) if encoding == "auto" else encoding
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"{path}: {chosen} として読めません（{exc.start} バイト目） / cannot decode as {chosen}"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader)
    except StopIteration:
        raise SourceFileError(f"{path}: 見出し行がありません / no header row") from None
    header = tuple(cell.strip().lstrip("\ufeff") for cell in raw_header)
    rows = []
    for values in reader:
        if not any(cell.strip() for cell in values):
            continue  # blank lines that Excel leaves at the end
        line = reader.line_num
        record = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)}
        rows.append((line, record))
    return Table(path=path, encoding=chosen, header=header, rows=tuple(rows))


