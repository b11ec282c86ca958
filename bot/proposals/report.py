"""The proposals of one fiscal year in figures, for the DX meeting: counts by status, category
and bureau, month by month, and hours saved (estimated, and actual for 完了).

`collect` reads the Proposals list; `to_markdown`, `write_csv`, `write_xlsx` and `to_html` give
the same figures as a reader wants them. Every cell of the spreadsheets is formula-safe
(tabular/cells.py): a title typed as `=HYPERLINK(…)` stays text.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

from bot.proposals.numbering import JST
from bot.proposals.similar import PROPOSALS_LIST
from liststore import Item, ListStore
from tabular.cells import neutralise
from tabular.cells import write_csv as write_safe_csv

STATUSES = ("受付", "審査中", "採用", "一部採用", "不採用", "差し戻し", "実施中", "完了")
ADOPTED = ("採用", "一部採用", "実施中", "完了")
MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)  # a fiscal year, April to March
UNKNOWN = "（未設定）"


@dataclass
class ProposalReport:
    """One fiscal year's proposals in figures."""

    fiscal_year: int
    filed: int = 0
    adopted: int = 0
    completed: int = 0
    reports: int = 0  # 業務改善報告: improvements already made
    estimated_hours: float = 0.0  # of the adopted ones
    actual_hours: float = 0.0  # of the completed ones
    by_status: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_bureau: Counter[str] = field(default_factory=Counter)
    by_month: Counter[int] = field(default_factory=Counter)
    adopted_by_month: Counter[int] = field(default_factory=Counter)

    def add(self, item: Item) -> None:
        f = item.fields
        status = str(f.get("Status") or "受付")
        self.filed += 1
        self.by_status[status] += 1
        self.by_category[str(f.get("Category") or UNKNOWN)] += 1
        self.by_bureau[str(f.get("Bureau") or UNKNOWN)] += 1
        month = _month(f.get("SubmittedAt"))
        if month:
            self.by_month[month] += 1
        if f.get("Kind") == "業務改善報告":
            self.reports += 1
        if status in ADOPTED:
            self.adopted += 1
            self.estimated_hours += float(f.get("EstimatedHoursSaved") or 0)
            if month:
                self.adopted_by_month[month] += 1
        if status == "完了":
            self.completed += 1
            self.actual_hours += float(f.get("ActualHoursSaved") or 0)

    def totals(self) -> list[tuple[str, str]]:
        return [("年度", f"{self.fiscal_year}年度"), ("提案数", str(self.filed)),
                ("うち業務改善報告", str(self.reports)), ("採用数（一部採用・実施中・完了を含む）", str(self.adopted)),
                ("完了数", str(self.completed)), ("削減見込み時間（採用分・年）", _hours(self.estimated_hours)),
                ("削減時間の実績（完了分・年）", _hours(self.actual_hours))]

    def tables(self) -> list[tuple[str, list[str], list[list[str]]]]:
        """(title, header, rows) of every breakdown."""
        months = [[f"{m}月", str(self.by_month[m]), str(self.adopted_by_month[m])] for m in MONTHS]
        return [
            ("審査状況別", ["審査状況", "件数"], [[s, str(self.by_status[s])] for s in STATUSES]),
            ("分類別", ["分類", "件数"], _counted(self.by_category)),
            ("部局別", ["部局", "件数"], _counted(self.by_bureau)),
            ("月別（提出月）", ["月", "提案数", "うち採用"], months),
        ]


def _counted(counts: Counter[str]) -> list[list[str]]:
    return [[name, str(n)] for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _hours(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _month(moment: object) -> int | None:
    try:
        return datetime.fromisoformat(str(moment).replace("Z", "+00:00")).astimezone(JST).month
    except ValueError:
        return None


async def collect(store: ListStore, fiscal_year: int) -> ProposalReport:
    report = ProposalReport(fiscal_year)
    for item in await store.query(PROPOSALS_LIST, "FiscalYear", fiscal_year):
        report.add(item)
    return report


def to_markdown(report: ProposalReport) -> str:
    lines = [f"# 業務改善提案 {report.fiscal_year}年度", ""]
    lines += ["| 項目 | 値 |", "|---|---|"] + [f"| {k} | {v} |" for k, v in report.totals()]
    for title, header, rows in report.tables():
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _sheets(report: ProposalReport) -> list[tuple[str, list[list[str]]]]:
    return [("概要", [["項目", "値"], *[[k, v] for k, v in report.totals()]]),
            *[(title, [header, *rows]) for title, header, rows in report.tables()]]


def _csv_rows(report: ProposalReport) -> list[Sequence[str]]:
    """Every table one after another, a blank row between."""
    rows: list[Sequence[str]] = []
    for title, table in _sheets(report):
        rows += [[title], *table, []]
    return rows


def write_csv(path: Path, report: ProposalReport) -> None:
    """The tables as a CSV file in UTF-8 with BOM (what Excel opens correctly)."""
    write_safe_csv(path, _csv_rows(report))


def to_csv(report: ProposalReport) -> str:
    """The tables as CSV text (for a terminal or a pipe), cells formula-safe."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([neutralise(c) for c in row] for row in _csv_rows(report))
    return buffer.getvalue()


def write_xlsx(path: Path, report: ProposalReport) -> None:
    """One sheet per table; counts and hours as numbers, every text cell formula-safe."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, table in _sheets(report):
        sheet = book.create_sheet(title[:31])
        for r, row in enumerate(table):
            sheet.append([_number_or_text(c) for c in row])
            if r == 0:
                for cell in sheet[1]:
                    cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 36
    book.save(path)


def _number_or_text(cell: str) -> float | int | str:
    """Counts and hours as numbers (Excel sums them); anything else as safe text."""
    plain = cell.replace(",", "")
    if plain.isascii() and plain.isdigit():
        return int(plain)
    if plain.isascii() and plain.replace(".", "", 1).isdigit():
        return float(plain)
    return neutralise(cell)


def to_html(report: ProposalReport) -> str:
    """A page a manager reads at a glance: the totals, then each breakdown as a bar chart (inline
    SVG, nothing fetched) with its table."""
    parts = [f"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
             f"<title>業務改善提案 {report.fiscal_year}年度</title><style>{_CSS}</style></head><body>",
             f"<h1>業務改善提案 {report.fiscal_year}年度</h1><dl class=\"totals\">"]
    parts += [f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in report.totals()[1:]]
    parts.append("</dl>")
    for title, header, rows in report.tables():
        parts.append(f"<section><h2>{html.escape(title)}</h2>")
        parts.append(_bars([(r[0], int(r[1])) for r in rows]))
        parts.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                     + "</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _bars(values: Iterable[tuple[str, int]]) -> str:
    values = list(values)
    top = max((v for _, v in values), default=0) or 1
    row, label_w, bar_w = 26, 170, 360
    height = row * len(values) + 8
    out = [f"<svg class=\"chart\" role=\"img\" width=\"{label_w + bar_w + 60}\" height=\"{height}\" "
           f"viewBox=\"0 0 {label_w + bar_w + 60} {height}\" xmlns=\"http://www.w3.org/2000/svg\">"]
    for i, (label, value) in enumerate(values):
        y = 4 + i * row
        width = round(bar_w * value / top)
        out.append(f"<text x=\"{label_w - 8}\" y=\"{y + 17}\" text-anchor=\"end\"><title>{html.escape(label)}</title>"
                   f"{html.escape(_short(label))}</text>"
                   f"<rect x=\"{label_w}\" y=\"{y + 4}\" width=\"{width}\" height=\"{row - 8}\" rx=\"2\"></rect>"
                   f"<text x=\"{label_w + width + 6}\" y=\"{y + 17}\">{value}</text>")
    out.append("</svg>")
    return "".join(out)


LABEL_CHARS = 11  # what fits beside a bar; the table below the chart has every name in full


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


_CSS = """
body { font-family: "Yu Gothic UI", "Meiryo", "Hiragino Sans", "Noto Sans CJK JP", sans-serif;
       margin: 2rem; color: #1f2937; max-width: 60rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem; }
.totals div { border: 1px solid #d1d5db; border-radius: .5rem; padding: .75rem; }
.totals dt { font-size: .85rem; color: #4b5563; }
.totals dd { margin: .25rem 0 0; font-size: 1.5rem; font-weight: bold; }
.chart rect { fill: #2563eb; } .chart text { font-size: 13px; fill: #1f2937; }
table { border-collapse: collapse; margin-top: .5rem; } th, td { border: 1px solid #d1d5db; padding: .25rem .75rem; }
td:not(:first-child) { text-align: right; }
"""
