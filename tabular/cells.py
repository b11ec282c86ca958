"""Cells a person opens in Excel: never a live formula, and read back exactly as written.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel
(and to LibreOffice and Google Sheets): `=HYPERLINK(...)` typed into the bot by anyone would
run on the DX division's machine when they open an export. Following OWASP's rules for CSV
injection, such a cell is written with a leading apostrophe, which Excel shows as text; readers
of our own files remove it again, so export → import gives back the same text.
https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Sequence

# OWASP's list, and the full-width forms a Japanese IME types, which Japanese Excel also takes
# as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _looks_like_formula(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """`text` as a cell that cannot run: a leading apostrophe where it could start a formula.

    A cell that already starts with apostrophes before a formula character gains one more, so
    that `restore` gives back exactly what was written.
    """
    return "'" + text if _looks_like_formula(text) else text


def restore(text: str) -> str:
    """The text `neutralise` was given."""
    return text[1:] if text.startswith("'") and _looks_like_formula(text[1:]) else text


def write_csv(path: Path, rows: Iterable[Sequence[str]], *, neutralised: bool = False) -> None:
    """Rows as CSV in UTF-8 with BOM (what Excel opens correctly), every cell neutralised, or
    as they are when the caller has `neutralised` them already (a multi-line cell line by line)."""
    buffer = io.StringIO(newline="")
    safe = rows if neutralised else ([neutralise(c) for c in row] for row in rows)
    csv.writer(buffer, lineterminator="\r\n").writerows(safe)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
