"""The proposals of one fiscal year in figures, for the DX meeting: counts by status, category
and bureau, month by month, and hours saved (estimated, and actual for 完了). `collect` reads
the Proposals list; `document` lays the figures out for tabular/reports.py to write."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.proposals.numbering import JST
from bot.proposals.similar import PROPOSALS_LIST
from liststore import Item, ListStore
from tabular.reports import Document, Table

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


def document(report: ProposalReport) -> Document:
    return Document(f"業務改善提案 {report.fiscal_year}年度", report.totals()[1:],
                    [Table(title, header, rows, chart=True) for title, header, rows in report.tables()])
