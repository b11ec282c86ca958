"""Reading exports in every encoding Japanese systems use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tabular.reader import SourceFileError, detect_encoding, read_table

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


def test_rows_are_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    # A multi-line cell takes two lines of the file but one row in Excel: row 3 is "2,次".
    path = tmp_path / "faq.csv"
    path.write_text('id,question\r\n1,"一行目\r\n二行目"\r\n2,次\r\n', encoding="utf-8")
    table = read_table(path, multiline=frozenset({"question"}))
    assert [row for row, _ in table.rows] == [2, 3]
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
    from tabular.reader import find_export

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


def _staff_csv(rows: list[str]) -> bytes:
    return ("職員番号,氏名,メールアドレス\r\n" + "".join(r + "\r\n" for r in rows)).encode("cp932")


def test_an_unclosed_quote_refuses_the_file_and_names_where_it_opened(tmp_path: Path) -> None:
    # The quote opened on line 4 would otherwise swallow every row up to the next quote.
    rows = [f"{i:06d},職員{i},s{i}@city.example.jp" for i in range(1, 60)]
    rows[2] = '000003,"職員3,s3@city.example.jp'
    rows[40] = '000041,職員41,"s41@city.example.jp"'
    path = tmp_path / "staff.csv"
    path.write_bytes(_staff_csv(rows))
    with pytest.raises(SourceFileError) as caught:
        read_table(path)
    assert "4 行目" in str(caught.value) and "malformed CSV from line 4" in str(caught.value)


def test_an_unclosed_quote_at_the_end_of_the_file_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(_staff_csv(["000001,山田,a@city.example.jp", '000002,"佐藤,b@city.example.jp',
                                 "000003,鈴木,c@city.example.jp"]))
    with pytest.raises(SourceFileError, match="line 3"):
        read_table(path)


def test_a_line_break_is_allowed_only_in_multiline_columns(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text('id,question,answer\r\n1,"質問\r\n続き",答え\r\n', encoding="utf-8")
    with pytest.raises(SourceFileError, match="line 2"):
        read_table(path, multiline=frozenset({"answer"}))
    assert read_table(path, multiline=frozenset({"question"})).rows[0][1]["question"] == "質問\r\n続き"


def test_a_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes("職員番号\t氏名\r\n1\t山田\r\n".encode("utf-16"))
    with pytest.raises(SourceFileError, match="UTF-16"):
        read_table(path)


def test_an_oversized_cell_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(_staff_csv(["000001,山田,a@city.example.jp", "000002," + "長" * 140_000 + ",b@x.jp"]))
    with pytest.raises(SourceFileError, match="too long"):
        read_table(path)


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "faq.csv"
    folder.mkdir()
    with pytest.raises(SourceFileError, match="folder"):
        read_table(folder)


def test_xlsx_staff_numbers_keep_the_zeros_their_format_shows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["職員番号", "氏名"])
    for number, name in ((12345, "山田"), (777, "佐藤")):
        sheet.append([number, name])
        sheet.cell(sheet.max_row, 1).number_format = "000000"
    path = tmp_path / "staff.xlsx"
    book.save(path)
    csv_path = tmp_path / "staff.csv"
    csv_path.write_bytes("職員番号,氏名\r\n012345,山田\r\n000777,佐藤\r\n".encode("cp932"))
    assert read_table(path).rows == read_table(csv_path).rows


def _book_with_formula(tmp_path: Path, cached: str | None) -> Path:
    """An .xlsx whose B2 is a formula; `cached` is the result Excel would have saved with it."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "question"])
    book.active.append(["FAQ-1", "=A2&\"?\""])
    path = tmp_path / "book.xlsx"
    book.save(path)
    if cached is None:
        return path
    # openpyxl never writes results; Excel does, as <v> beside <f>.
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</f>", b"</f><v>" + cached.encode() + b"</v>")
    parts[sheet] = parts[sheet].replace(b'<c r="B2"', b'<c r="B2" t="str"')
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_a_formula_is_read_as_the_result_excel_saved(tmp_path: Path) -> None:
    path = _book_with_formula(tmp_path, "FAQ-1?")
    assert read_table(path).rows == ((2, {"id": "FAQ-1", "question": "FAQ-1?"}),)


@pytest.mark.parametrize("cached", [None, "#NAME?"])
def test_a_formula_without_a_usable_result_names_its_cell(tmp_path: Path, cached: str | None) -> None:
    with pytest.raises(SourceFileError, match="B2"):
        read_table(_book_with_formula(tmp_path, cached))


def test_where_cells_are_typed_text_any_formula_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="B2"):
        read_table(_book_with_formula(tmp_path, "FAQ-1?"), formulas="error")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"staff{suffix}"
    if suffix == ".csv":
        path.write_bytes("職員番号,メールアドレス,メールアドレス\r\n1,a@x.jp,\r\n".encode("cp932"))
    else:
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(["職員番号", "メールアドレス", "メールアドレス"])
        book.save(path)
    with pytest.raises(SourceFileError, match="twice"):
        read_table(path)


def test_rows_that_do_not_line_up_with_the_header_are_marked(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes("a,b,c\r\n1,2,3\r\n4,5\r\n6,7,8,\r\n9,10,11,12\r\n".encode("cp932"))
    table = read_table(path)
    assert dict(table.ragged) == {3: 2, 5: 4}  # a trailing empty cell is what Excel leaves
    assert table.ends_cleanly


@pytest.mark.parametrize(("number_format", "shown"), [
    ("000000", "012345"), ('"0"00000', "012345"), ("[<=999999]000000", "012345"),
    ("000000;@", "012345"), ("General", "12345"), ("0", "12345"),
])
def test_zero_padding_formats_excel_uses(tmp_path: Path, number_format: str, shown: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["職員番号"])
    book.active.append([12345])
    book.active["A2"].number_format = number_format
    path = tmp_path / "staff.xlsx"
    book.save(path)
    assert read_table(path).rows == ((2, {"職員番号": shown}),)


def test_a_line_break_in_a_single_line_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes('職員番号,職名\r\n1,"主任\r\n（兼）係長"\r\n'.encode("cp932"))
    with pytest.raises(SourceFileError, match="「職名」列のセルの中に改行"):
        read_table(path)


def test_multiline_columns_match_however_the_header_is_spelled(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text('ID,Question,ＡＮＳＷＥＲ\r\n1,質問,"一行目\r\n二行目"\r\n', encoding="utf-8")
    assert read_table(path, multiline=frozenset({"answer"})).rows[0][1]["ＡＮＳＷＥＲ"] == "一行目\r\n二行目"
