"""Reading exports in every encoding Japanese systems use."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_sync.sources.tabular import SourceFileError, detect_encoding, read_table

CSV = "職員番号,氏名\r\n012345,山田　太郎\r\n\r\n000777,髙橋 一郎\r\n"


@pytest.mark.parametrize(("encoding", "detected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")])
def test_encodings_are_detected(tmp_path: Path, encoding: str, detected: str) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(CSV.encode(encoding))
    table = read_table(path)
    assert table.encoding == detected
    assert table.header == ("職員番号", "氏名")
    assert table.rows == ((2, {"職員番号": "012345", "氏名": "山田　太郎"}),
                          (4, {"職員番号": "000777", "氏名": "髙橋 一郎"}))


def test_short_cp932_text_is_not_mistaken_for_utf8() -> None:
    assert detect_encoding("受講状況".encode("cp932")) == "cp932"
    assert detect_encoding("受講状況".encode("utf-8")) == "utf-8"


def test_quoted_multiline_cells_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text('id,question\r\n1,"一行目\r\n二行目"\r\n2,次\r\n', encoding="utf-8")
    table = read_table(path)
    assert [line for line, _ in table.rows] == [3, 4]
    assert table.rows[0][1]["question"] == "一行目\r\n二行目"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"), (b"   \r\n", "empty"), (b"\xff\xfe\x00bad", "cannot decode")])
def test_unreadable_files_say_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFileError, match=message):
        read_table(path, "utf-8" if content.startswith(b"\xff") else "auto")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="not found"):
        read_table(tmp_path / "none.csv")


def test_excel_exports_read_like_csv(tmp_path: Path) -> None:
    from datetime import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["職員番号", "研修コード", "受講状況", "進捗率", "修了日"])
    sheet.append(["012345", "E-SEC", "修了", 100, dt(2025, 5, 12)])
    sheet.append([None, None, None, None, None])  # a blank row Excel leaves behind
    sheet.append(["000777", "E-AI1", "受講中", 40.0, None])
    path = tmp_path / "completions.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.encoding == "xlsx"
    assert table.header == ("職員番号", "研修コード", "受講状況", "進捗率", "修了日")
    assert table.rows == (
        (2, {"職員番号": "012345", "研修コード": "E-SEC", "受講状況": "修了", "進捗率": "100",
             "修了日": "2025-05-12"}),
        (4, {"職員番号": "000777", "研修コード": "E-AI1", "受講状況": "受講中", "進捗率": "40",
             "修了日": ""}),
    )


def test_an_xlsx_dropped_instead_of_the_csv_is_found(tmp_path: Path) -> None:
    from graph_sync.sources.tabular import find_export

    (tmp_path / "staff.xlsx").write_bytes(b"")
    assert find_export(tmp_path, "staff.csv") == tmp_path / "staff.xlsx"
    (tmp_path / "staff.csv").write_bytes(b"")
    assert find_export(tmp_path, "staff.csv") == tmp_path / "staff.csv"
    assert find_export(tmp_path, "none.csv") == tmp_path / "none.csv"


def test_a_damaged_xlsx_says_so(tmp_path: Path) -> None:
    path = tmp_path / "staff.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(SourceFileError, match="xlsx"):
        read_table(path)
