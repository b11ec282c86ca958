"""CSV exports as Japanese systems write them: UTF-8, UTF-8 with BOM, or Shift_JIS (cp932)."""

from __future__ import annotations

import csv
import io
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


def read_table(path: Path, encoding: str = "auto") -> Table:
    """Read a CSV file; header cells are stripped of spaces and of a stray BOM."""
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


