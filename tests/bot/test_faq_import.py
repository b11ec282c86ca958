"""FAQ files into the FAQ list: encodings, bad rows, merge and replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq.importer import FaqFileError, import_entries, read_faq_file
from config.schema import load_list_specs
from liststore import MemoryListStore, Outcome

HEADER = "id,question,alternate_questions,answer,category,tags,source_url\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_reads_every_encoding_and_multiline_alternates(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes((HEADER + 'F1,アプリの共有方法,"共有したい\r\nみんなに配りたい",答え,Power Apps,共有,\r\n')
                     .encode(encoding))
    entries, errors = read_faq_file(path)
    assert errors == []
    assert entries[0].faq_id == "F1"
    assert entries[0].alternate_questions == ("共有したい", "みんなに配りたい")
    assert entries[0].source_url is None


def test_bad_rows_name_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(HEADER + "F1,質問,,答え,,,\r\nF2,,,答え,,,\r\nF1,重複,,答え,,,\r\n,質問,,答え,,,\r\n",
                    encoding="utf-8")
    entries, errors = read_faq_file(path)
    assert [e.faq_id for e in entries] == ["F1"]
    assert [(e.line, e.column) for e in errors] == [(3, "question"), (4, "id"), (5, "id")]
    assert "duplicate" in errors[1].reason


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("質問,回答\r\na,b\r\n", encoding="utf-8")
    with pytest.raises(FaqFileError, match="id, question, answer"):
        read_faq_file(path)


async def test_merge_keeps_other_entries_and_replace_removes_them(tmp_path: Path) -> None:
    store = MemoryListStore()
    await store.ensure_list(load_list_specs()["FAQ"])
    path = tmp_path / "faq.csv"
    path.write_text(HEADER + "F1,一,,答え1,Teams,,\r\nF2,二,,答え2,研修,,https://example.com/2\r\n",
                    encoding="utf-8")
    entries, _ = read_faq_file(path)
    written, _ = await import_entries(store, entries, replace=False)
    assert [w.outcome for w in written] == [Outcome.CREATED, Outcome.CREATED]
    path.write_text(HEADER + "F2,二,,新しい答え,研修,,\r\n", encoding="utf-8")
    entries, _ = read_faq_file(path)
    await import_entries(store, entries, replace=False)
    assert await store.count("FAQ") == 2
    _, removed = await import_entries(store, entries, replace=True)
    assert [(r.key, r.outcome) for r in removed] == [("F1", Outcome.DELETED)]
    f2 = await store.get("FAQ", "F2")
    assert f2 is not None and f2.fields["Answer"] == "新しい答え" and f2.fields["IsPublished"] is True


def test_the_packaged_faq_has_enough_real_entries_and_round_trips(tmp_path: Path) -> None:
    from bot.faq.entry import seed_entries
    from bot.faq.importer import write_faq_file

    faq = seed_entries()
    assert len(faq) >= 40
    assert {"Teams", "SharePoint・OneDrive", "Power Apps", "Power Automate", "Power BI", "研修",
            "業務改善提案", "アカウント・パスワード", "情報セキュリティ"} <= {e.category for e in faq}
    assert all(e.answer and e.question and e.alternate_questions for e in faq)
    path = tmp_path / "faq.csv"
    write_faq_file(path, faq)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_faq_file(path, load_list_specs()["FAQ"]) == (faq, [])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_alternates_that_look_neutralised_come_back_exactly(tmp_path: Path, suffix: str) -> None:
    from bot.faq.entry import FaqEntry
    from bot.faq.importer import write_faq_file

    entry = FaqEntry("F1", "質問", ("'=x", "=y", "''@z", "普通"), "答え", None, None, None)
    path = tmp_path / f"faq{suffix}"
    write_faq_file(path, [entry])
    assert read_faq_file(path)[0] == [entry]
