"""`dx-bot report proposals`, run as the DX division runs it, on a provisioned SQLite store:
the same figures in every format, and cells that stay text when Excel opens them."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from config.settings import load_settings
from liststore import Upsert, open_store
from tests.bot.conftest import provision
from tests.browser import chromium


def proposal(n: int, **fields: Any) -> Upsert:
    base = {"Title": f"提案{n}", "Kind": "業務改善提案", "Category": "ペーパーレス", "Problem": "課題", "Idea": "案",
            "ProposerEmail": f"p{n}@city.example.jp", "SubmittedAt": "2026-05-10T01:00:00Z", "FiscalYear": 2026,
            "SubmissionId": f"R-{n:08d}", "Status": "受付", "Bureau": "総務局"}
    return Upsert(f"2026-{n:04d}", {**base, **fields})


@pytest.fixture
async def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DX_DATA_DIR", str(tmp_path / "var"))
    settings = load_settings(data_dir=tmp_path / "var")
    await provision(settings)
    async with open_store(settings) as store:
        await store.create("Proposals", [
            proposal(1, Status="採用", EstimatedHoursSaved=120, Category="RPA・自動化"),
            proposal(2, Status="完了", EstimatedHoursSaved=80, ActualHoursSaved=95.5, Kind="業務改善報告"),
            proposal(3, Status="不採用", Bureau="=HYPERLINK(\"http://evil.example\")",
                     SubmittedAt="2026-12-31T16:00:00Z"),  # 1 January in Japan
            proposal(4, Status="差し戻し", Bureau=None),
            Upsert("2025-0009", {**proposal(9).fields, "FiscalYear": 2025, "SubmissionId": "R-OLD"}),
        ])
    return tmp_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", "report", "proposals", *args],
                          capture_output=True, text=True, timeout=120)


def test_markdown_has_the_year_s_figures(data_dir: Path) -> None:
    done = run("--fiscal-year", "2026")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in ("| 提案数 | 4 |", "| うち業務改善報告 | 1 |", "| 採用数（一部採用・実施中・完了を含む） | 2 |",
                 "| 完了数 | 1 |", "| 削減見込み時間（採用分・年） | 200 |", "| 削減時間の実績（完了分・年） | 95.5 |",
                 "| 不採用 | 1 |", "| RPA・自動化 | 1 |", "| （未設定） | 1 |", "| 5月 | 3 | 2 |", "| 1月 | 1 | 0 |"):
        assert line in out, line
    assert "| 総務局 | 2 |" in out and "2025-0009" not in out


def test_xlsx_keeps_numbers_as_numbers_and_text_as_text(data_dir: Path) -> None:
    from openpyxl import load_workbook

    path = data_dir / "提案2026.xlsx"
    done = run("--fiscal-year", "2026", "--format", "xlsx", "--out", str(path))
    assert done.returncode == 0, done.stderr
    book = load_workbook(path)
    assert book.sheetnames == ["概要", "審査状況別", "分類別", "部局別", "月別（提出月）"]
    summary = {row[0].value: row[1].value for row in book["概要"].iter_rows(min_row=2)}
    assert summary["提案数"] == 4 and summary["削減時間の実績（完了分・年）"] == 95.5
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # nothing Excel would run
    bureaus = [row[0].value for row in book["部局別"].iter_rows(min_row=2)]
    assert "'=HYPERLINK(\"http://evil.example\")" in bureaus


def test_csv_opens_in_excel_and_html_is_a_page_with_charts(data_dir: Path) -> None:
    path = data_dir / "提案.csv"
    assert run("--format", "csv", "--out", str(path), "--fiscal-year", "2026").returncode == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Japanese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert ["提案数", "4"] in rows and not [c for r in rows for c in r if c.startswith("=")]

    done = run("--format", "html", "--fiscal-year", "2026")
    assert done.returncode == 0, done.stderr

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.text: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)

        def handle_data(self, data: str) -> None:
            self.text.append(data)

    page = Page()
    page.feed(done.stdout)
    assert page.tags.count("svg") == 4 and page.tags.count("table") == 4 and "script" not in page.tags
    assert '=HYPERLINK("http://evil.example")' in page.text  # shown as text, escaped in the markup
    assert 'href="http://evil.example' not in done.stdout


def test_xlsx_without_a_file_is_a_clear_error(data_dir: Path) -> None:
    done = run("--format", "xlsx")
    assert done.returncode == 2 and "--out" in done.stderr and "Traceback" not in done.stderr


def test_the_html_report_opens_in_a_real_browser(data_dir: Path) -> None:
    """Chromium (Debian's, installed by `make test`) loads the page from disk, as a manager
    double-clicking the file would: the DOM it builds has every chart and table, and the page
    renders to a screenshot that is not blank."""
    fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, timeout=60)
    assert fonts.stdout.strip(), "a Japanese font is needed to render the page (make test installs IPA Gothic)"
    page = data_dir / "提案2026.html"
    assert run("--format", "html", "--fiscal-year", "2026", "--out", str(page)).returncode == 0
    dom = chromium(data_dir / "chromium", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 4 and dom.stdout.count("<table") == 4
    assert dom.stdout.count("<rect") == 8 + 2 + 3 + 12  # a bar per status, category, bureau and month
    assert "業務改善提案 2026年度" in dom.stdout and "=HYPERLINK(" in dom.stdout
    shot = data_dir / "report.png"
    taken = chromium(data_dir / "chromium", "--window-size=1100,1600", f"--screenshot={shot}", page.as_uri())
    assert taken.returncode == 0 and shot.stat().st_size > 20_000, taken.stderr[-2000:]
