"""CSV exports as Japanese systems write them: UTF-8, UTF-8 with BOM, or Shift_JIS (cp932)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Mapping

from tabular.normalize import fold

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932")


class SourceFileError(Exception):
    """The file cannot be read at all (missing, empty, undecodable, no header)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A decoded export: its header, its rows with their row numbers, and how it was read.

    `ragged` maps the number of each row whose cells do not line up with the header (fewer
    cells, or more with something in them) to its cell count: its values cannot be trusted to
    be in their columns, so readers report it and use none of it.
    """

    path: Path
    encoding: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    ragged: Mapping[int, int] = field(default_factory=dict)
    # False when the text stops without a final line break: the last row may be cut short.
    ends_cleanly: bool = True

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


def _cell_text(value: object, number_format: str = "General") -> str:
    """An Excel cell as the text a CSV export would have carried.

    A number shown with a zero-padded format (`000000`) is padded the same way: Excel keeps a
    staff number typed as 012345 as the number 12345 and only its format remembers the zeros.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and value >= 0 and (padded := _zero_padded(value, number_format)):
            return padded
    return str(value)


def _zero_padded(value: int, number_format: str) -> str | None:
    """`value` as a format of zeros shows it (`000000`, `"0"00000`, `[<=999999]000000`), or None
    for any other format."""
    first = _CONDITION.sub("", number_format.split(";", 1)[0]).strip()
    match = _ZEROS.fullmatch(first)
    if not match:
        return None
    return match.group(1).replace('"', "") + str(value).zfill(len(match.group(2)))


_CONDITION = re.compile(r"\[[^\]]*\]")  # [<=999999], [Red]: not part of what is shown
_ZEROS = re.compile(r'((?:"\d*")*)(0+)')  # quoted digits, then the zeros that pad


# Cached results Excel writes for a formula that failed: not data anyone typed.
_EXCEL_ERRORS = frozenset({"#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!",
                           "#SPILL!", "#CALC!", "#GETTING_DATA"})


def _formula_error(path: Path, coordinate: str, formulas: str) -> SourceFileError:
    if formulas == "error":
        why = "数式は取り込めません。値として入力し直してください / formulas are not imported; type the value"
    else:
        why = "数式の計算結果が保存されていません / the formula has no saved result; open and save the file in Excel"
    return SourceFileError(f"{path.name}: セル {coordinate} は数式です。{why}")


def _read_excel(path: Path, *, formulas: str = "value") -> Table:
    """The first worksheet of an .xlsx file; its first row is the header.

    A formula cell is read as the result Excel saved with it (`formulas="value"`), and is an
    error when no result was saved, or always (`formulas="error"`, for files whose cells are
    text a person typed, where a formula is never meant).
    """
    from openpyxl import load_workbook  # imported here: only Excel exports need it
    from openpyxl.utils import get_column_letter

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except FileNotFoundError:
        raise SourceFileError(f"{path}: ファイルがありません / file not found") from None
    except Exception as exc:  # openpyxl raises several kinds for a damaged or wrong file
        raise SourceFileError(f"{path}: Excel ファイルとして読めません / not a readable .xlsx ({exc})") from None
    formula_cells: dict[tuple[int, int], str] = {}
    try:
        sheet = workbook.worksheets[0]
        grid: list[tuple[int, list[str]]] = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = []
            for column, cell in enumerate(row, start=1):
                if getattr(cell, "data_type", None) == "f":
                    where = f"{get_column_letter(column)}{number}"
                    if formulas == "error":
                        raise _formula_error(path, where, formulas)
                    formula_cells[(number, column)] = where
                    cells.append("")
                    continue
                cells.append(_cell_text(cell.value, getattr(cell, "number_format", "General")))
            grid.append((number, cells))
    finally:
        workbook.close()
    if formula_cells:
        _fill_formula_results(path, grid, formula_cells)
    if not grid:
        raise SourceFileError(f"{path}: 見出し行がありません / no header row")
    _, header_cells = grid[0]
    header = tuple(c.strip() for c in header_cells)
    _check_header(path, header)
    rows = []
    for number, cells in grid[1:]:
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {name: (cells[i] if i < len(cells) else "")
                              for i, name in enumerate(header) if name}))
    return Table(path=path, encoding="xlsx", header=header, rows=tuple(rows))


def _fill_formula_results(path: Path, grid: list[tuple[int, list[str]]],
                          formula_cells: dict[tuple[int, int], str]) -> None:
    """Put the results Excel saved into the formula cells of `grid`; none saved is an error."""
    from openpyxl import load_workbook

    by_row = {number: cells for number, cells in grid}
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for number, row in enumerate(workbook.worksheets[0].iter_rows(), start=1):
            for column, cell in enumerate(row, start=1):
                where = (number, column)
                if where not in formula_cells:
                    continue
                if cell.value is None or str(cell.value) in _EXCEL_ERRORS:
                    raise _formula_error(path, formula_cells[where], "value")
                by_row[number][column - 1] = _cell_text(
                    cell.value, getattr(cell, "number_format", "General"))
    finally:
        workbook.close()


def _check_header(path: Path, header: tuple[str, ...]) -> None:
    """A header that names one column twice would let one of the two silently win."""
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise SourceFileError(
                f"{path.name}: 見出し「{name}」が 2 回あります。どちらの列を使うか決められません / "
                f"the header names {name!r} twice")
        seen.add(name)


def _structure_error(path: Path, line: int, row: int, why: str) -> SourceFileError:
    return SourceFileError(
        f"{path.name}: {line} 行目（Excel の {row} 行目）から CSV の形が壊れています。{why} "
        f"このファイルは何も反映しません / malformed CSV from line {line} (row {row}); "
        f"nothing from this file is applied"
    )


_LINE_BREAK = ("「{column}」列のセルの中に改行があります（Excel の Alt+Enter か、引用符の閉じ忘れ）。"
               "この列には改行を入れられません。改行を消して保存し直してください。")
_UNCLOSED = ("引用符（\"）が閉じられていないか、余分な引用符があります。"
             "Excel で開いて保存し直すか、該当のセルを確認してください。")


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str]:
    if encoding == "auto" and (data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:2000]):
        raise SourceFileError(
            f"{path}: UTF-16 のファイルです（Excel の「Unicode テキスト」）。「CSV UTF-8」で保存し直してください"
            f" / this file is UTF-16; save it as CSV UTF-8")
    chosen = detect_encoding(data) if encoding == "auto" else encoding
    try:
        return data.decode(chosen), chosen
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"{path}: {chosen} として読めません（{exc.start} バイト目） / cannot decode as {chosen}"
        ) from None


def read_table(path: Path, encoding: str = "auto", *, multiline: frozenset[str] = frozenset(),
               formulas: str = "value") -> Table:
    """Read a CSV or .xlsx export; CSV header cells are stripped of spaces and a stray BOM.

    Rows are numbered as Excel shows them (the header is row 1, blank rows count), which is
    what a person opening the file looks for. A cell may span several lines only in the
    `multiline` columns: anywhere else a line break inside quotes means a quote that was never
    closed, which would silently join the rows after it into one cell, so the whole file is
    refused, named by the line where the quote opened.
    """
    if path.is_dir():
        raise SourceFileError(f"{path}: フォルダーです。ファイルを指定してください / is a folder, not a file")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path, formulas=formulas)
    if encoding not in ENCODINGS:
        raise SourceFileError(f"{path}: unknown encoding {encoding!r} (use one of {', '.join(ENCODINGS)})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceFileError(f"{path}: ファイルがありません / file not found") from None
    except OSError as exc:
        raise SourceFileError(f"{path}: 読めません / cannot read ({exc.strerror})") from None
    if not data.strip():
        raise SourceFileError(f"{path}: ファイルが空です / the file is empty")
    text, chosen = _decode(path, data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        raw_header = next(reader)
    except StopIteration:
        raise SourceFileError(f"{path}: 見出し行がありません / no header row") from None
    except csv.Error:
        raise _structure_error(path, 1, 1, _UNCLOSED) from None
    header = tuple(cell.strip().lstrip("\ufeff") for cell in raw_header)
    _check_header(path, header)
    # Header names compare as the readers spell them: width and case folded.
    wanted = {fold(m).lower() for m in multiline}
    allowed = {i for i, name in enumerate(header) if fold(name).lower() in wanted}
    rows = []
    ragged: dict[int, int] = {}
    last: tuple[int, int] | None = None  # (line, row) of the last row read
    row = 1
    while True:
        start = reader.line_num + 1
        row += 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise SourceFileError(
                    f"{path.name}: {start} 行目（Excel の {row} 行目）のセルが長すぎます"
                    f"（{csv.field_size_limit():,} 文字まで） / a cell is too long") from None
            raise _structure_error(path, start, row, _UNCLOSED) from None
        if reader.line_num > start:
            broken = [i for i, v in enumerate(values) if ("\n" in v or "\r" in v) and i not in allowed]
            if broken and len(values) == len(header):
                column = header[broken[0]] if broken[0] < len(header) else f"{broken[0] + 1} 列目"
                raise _structure_error(path, start, row, _LINE_BREAK.format(column=column))
            if broken or len(values) != len(header):
                raise _structure_error(path, start, row, _UNCLOSED)
        if not any(cell.strip() for cell in values):
            continue  # blank lines that Excel leaves at the end
        if len(values) < len(header) or any(v.strip() for v in values[len(header):]):
            ragged[row] = len(values)
        last = (start, row)
        record = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)}
        rows.append((row, record))
    # A file written with CRLF that ends in a lone CR was cut between the two.
    ends_cleanly = text.endswith("\r\n") if "\r\n" in text else text.endswith(("\n", "\r"))
    if last is not None and last[1] in ragged and not ends_cleanly:
        raise cut_off(path, last[0])
    return Table(path=path, encoding=chosen, header=header, rows=tuple(rows), ragged=ragged,
                 ends_cleanly=ends_cleanly)


def cut_off(path: Path, line: int) -> SourceFileError:
    """The error for a file whose last row stops part-way, as a copy or an export cut short."""
    return SourceFileError(
        f"{path.name}: 最後の行（{line} 行目）が途中で切れています。エクスポートが最後まで書き出されたか"
        f"確認してください。このファイルは何も反映しません / the file ends in the middle of a row "
        f"(line {line}): it looks cut off; nothing from this file is applied")
