"""Cells opened in Excel never run as formulas, and our own files read back exactly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tabular.cells import FORMULA_STARTS, neutralise, restore, write_csv

texts = st.text(alphabet=st.sampled_from(list("=+-@'\t\rA1あ ＝＋－＠")), max_size=8) | st.text(max_size=20)


@given(texts)
def test_neutralised_cells_never_start_a_formula_and_restore_exactly(text: str) -> None:
    cell = neutralise(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert restore(cell) == text


def test_ordinary_text_is_left_as_it_is() -> None:
    for text in ("Power Apps の共有方法", "'引用", "", "1-2-3"):
        assert neutralise(text) == text


def test_written_csv_opens_as_text(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, [["a", "b"], ["=HYPERLINK(\"http://x\")", "@SUM(A1)"], ["-1+1", "ok"], ["＝1+1", "＋1"]])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows == [["a", "b"], ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"], ["'-1+1", "ok"], ["'＝1+1", "'＋1"]]
