"""A row that could not be used, named the way a person finds it in the file."""

from __future__ import annotations

from dataclasses import dataclass

from tabular.reader import Table


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was skipped, and why, in words the DX division can act on.

    `line` is the row as Excel shows it (the header is row 1), not the physical line.
    """

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} [{self.column}] {self.reason}"


def ragged_row_error(table: Table, line: int) -> RowError:
    """The error for a row whose cells do not line up with the header."""
    cells, expected = table.ragged[line], len(table.header)
    return RowError(table.path.name, line, "-",
                    f"セルの数が見出しと合いません（{cells} 個、見出しは {expected} 列）。この行は反映しません / "
                    f"the row has {cells} cells for {expected} columns; not applied")
