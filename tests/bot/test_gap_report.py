"""`dx-bot report gaps`, as the DX division runs it: what the FAQ does not answer, grouped by
meaning and ranked by how many people asked, from the Questions list the bot keeps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config.settings import load_settings
from liststore import Upsert, open_store
from tests.bot.conftest import provision

QUESTIONS = [
    # (asked by, asked at, text, feedback, status, nearest entry)
    ("aad-1", "2026-11-02T01:00:00Z", "公用車の予約はどこでするの？", None, "未回答", "FAQ-0014"),
    ("aad-2", "2026-11-03T01:00:00Z", "公用車を予約したい", None, "回答待ち", "FAQ-0014"),
    ("aad-3", "2026-11-04T01:00:00Z", "公用車の予約方法を教えて", None, "未回答", None),
    ("aad-1", "2026-11-05T01:00:00Z", "公用車の予約はどこでするの？", None, "未回答", "FAQ-0014"),
    ("aad-4", "2026-11-06T01:00:00Z", "庁舎の駐輪場の場所", None, "未回答", None),
    ("aad-4", "2026-11-06T02:00:00Z", "会議を録画したい", "解決しない", "未回答", "FAQ-0015"),
    ("aad-5", "2026-11-07T02:00:00Z", "Teams会議の録画", "解決しない", "未回答", "FAQ-0015"),
    ("aad-6", "2026-11-08T02:00:00Z", "期限", "候補から選択", "クローズ", "FAQ-0024"),  # a pick: not a gap
    ("aad-7", "2026-11-08T03:00:00Z", "パスワード", "役に立った", "クローズ", "FAQ-0035"),  # answered well
    ("aad-8", "2026-11-09T03:00:00Z", "ミライ会議室", "候補から選択", "FAQ化", "FAQ-0014"),  # in the FAQ now
    ("aad-9", "2026-10-01T03:00:00Z", "古い質問：旅費の精算", None, "未回答", None),
    ("aad-9", "2026-11-10T03:00:00Z", "=HYPERLINK(\"http://evil.example\") を教えて", None, "未回答", None),
]


@pytest.fixture
async def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DX_DATA_DIR", str(tmp_path / "var"))
    settings = load_settings(data_dir=tmp_path / "var")
    await provision(settings)
    async with open_store(settings) as store:
        rows: list[Any] = []
        for n, (who, at, text, feedback, status, nearest) in enumerate(QUESTIONS):
            rows.append(Upsert(f"Q-20261101-{n:06X}", {"Title": text, "QuestionText": text, "AskedBy": who,
                                                       "AskedAt": at, "Feedback": feedback, "Status": status,
                                                       "FaqId": nearest}))
        await store.upsert("Questions", rows)
    return tmp_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", "report", "gaps", *args],
                          capture_output=True, text=True, timeout=180)


def test_questions_are_grouped_by_meaning_and_ranked_by_people(data_dir: Path) -> None:
    done = run("--since", "2026-11-01")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    first = rows[0].split(" | ")
    assert first[1] == "公用車の予約はどこでするの？" and first[2:4] == ["4", "3"]  # 4 times, 3 people
    assert first[4].startswith("FAQ-0014 Teamsで新しいチームを作りたい")  # the nearest entry, with its question
    assert "| 対象 | 2026-11-01 以降 |" in done.stdout
    assert "旅費" not in done.stdout and "期限" not in done.stdout and "ミライ会議室" not in done.stdout
    assert "パスワード" not in done.stdout
    unhelpful = done.stdout.split("## 「解決しない」と評価された FAQ")[1]
    assert "| FAQ-0015 Teamsの会議を録画するには？ | 2 | 2 |" in unhelpful


def test_the_spreadsheet_is_safe_to_open(data_dir: Path) -> None:
    from openpyxl import load_workbook

    path = data_dir / "gaps.xlsx"
    done = run("--format", "xlsx", "--out", str(path))
    assert done.returncode == 0, done.stderr
    book = load_workbook(path)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://evil.example\") を教えて" in texts


def test_a_bad_day_is_a_clear_error(data_dir: Path) -> None:
    done = run("--since", "2026/11/01")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr and "Traceback" not in done.stderr
