"""The KPI report for the DX meeting: four charts a manager reads at a glance, and the tables
under them, as PNG, a self-contained HTML page or an xlsx workbook.

The charts are drawn with matplotlib in IPAex Gothic, the font the matplotlib-fontja package
ships: nothing is looked up on the machine or downloaded, so the Japanese renders the same on a
server without fonts. Each chart shows the figure against its target:
1. leaders trained, cumulative, per fiscal year, with the planned path;
2. the career ladder today: each tier's headcount against its target;
3. 基礎研修修了率 per bureau, with the city's rate and the target;
4. proposals filed, adopted and completed per fiscal year, and hours saved.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from graph_sync.kpi import ADVISOR, ALL_STAFF, LEADER, PROMOTER, Kpis
from tabular.reports import Document, Table

BLUE, GREY, ORANGE, GREEN = "#2563eb", "#9ca3af", "#f59e0b", "#16a34a"
TIERS = (PROMOTER, ADVISOR, LEADER, ALL_STAFF)
FORMATS = ("md", "html", "png", "xlsx")


def _font() -> Any:
    """IPAex Gothic from the matplotlib-fontja package, registered with matplotlib."""
    from matplotlib import font_manager
    from matplotlib_fontja import get_font_ttf_path

    path = get_font_ttf_path()
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def figure(kpis: Kpis) -> Any:
    """The four charts on one figure (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    font = _font()
    plt.rcParams["font.family"] = font.get_name()
    plt.rcParams["svg.fonttype"] = "path"  # glyphs drawn as shapes: the page needs no font
    plt.rcParams["text.parse_math"] = False  # a bureau named "A$B$" is a name, not a formula
    fig, axes = plt.subplots(2, 2, figsize=(13, 9), dpi=100)
    fig.suptitle(f"DX推進 KPI　{kpis.fiscal_year}年度（{kpis.measured_on:%Y/%m/%d} 集計）", fontsize=16)

    years = sorted(kpis.leaders_by_year)
    ax = axes[0][0]
    xs = list(range(len(years)))
    ax.bar(xs, [kpis.leaders_by_year[y] for y in years], color=BLUE, label="実績（累計）")
    ax.plot(xs, [kpis.config.leaders.target(y) for y in years], color=ORANGE, marker="o", label="目標")
    ax.set_xticks(xs, [str(y) for y in years])
    for x, y in enumerate(years):
        ax.annotate(str(kpis.leaders_by_year[y]), (x, kpis.leaders_by_year[y]), ha="center", va="bottom")
    ax.set_title("デジタル行政推進リーダー 育成人数（累計）")
    ax.set_ylabel("人")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left")

    ax = axes[0][1]
    values = [kpis.serving[t] for t in TIERS]
    targets = [kpis.config.ladder.get(t, 0) for t in TIERS]
    shares = [100 * v / t if t else 0 for v, t in zip(values, targets)]
    bars = ax.barh(list(TIERS)[::-1], shares[::-1], color=BLUE)
    ax.axvline(100, color=ORANGE, linestyle="--", label="目標")
    for bar, v, t in zip(bars, values[::-1], targets[::-1]):
        ax.annotate(f"{v:,} / {t:,}人", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_xlim(0, max(130, max(shares) + 30))
    ax.set_title("人材育成体系：目標人数に対する現在の人数")
    ax.set_xlabel("目標に対する割合（%）")

    ax = axes[1][0]
    bureaus = sorted(kpis.completion_by_bureau, key=lambda b: kpis.completion_by_bureau[b].percent)
    ax.barh(bureaus, [kpis.completion_by_bureau[b].percent for b in bureaus], color=GREEN)
    ax.axvline(kpis.completion.percent, color=BLUE, linestyle=":", label=f"全体 {kpis.completion.percent}%")
    ax.axvline(kpis.config.completion.target_percent, color=ORANGE, linestyle="--", label="目標")
    ax.set_xlim(0, 105)
    ax.set_title("基礎研修修了率（部局別）")
    ax.set_xlabel("%")
    ax.legend(loc="lower right", fontsize=9)
    if not bureaus:
        ax.text(50, 0, "必須研修の対象がありません", ha="center")

    ax = axes[1][1]
    pyears = sorted(kpis.proposals_by_year) or [kpis.fiscal_year]
    width = 0.27
    for offset, (key, label, color) in enumerate((("filed", "提案", BLUE), ("adopted", "採用", GREEN),
                                                  ("completed", "完了", GREY))):
        ax.bar([x + (offset - 1) * width for x in range(len(pyears))], [kpis.proposals(key, y) for y in pyears],
               width, color=color, label=label)
    ax.set_xticks(range(len(pyears)), [str(y) for y in pyears])
    if kpis.proposal_target:
        ax.axhline(kpis.proposal_target, color=ORANGE, linestyle="--", label=f"{kpis.fiscal_year}年度 目標")
    ax.set_ylim(bottom=0, top=max([5, *(kpis.proposals("filed", y) * 1.15 for y in pyears),
                                   (kpis.proposal_target or 0) * 1.15]))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not kpis.proposals_by_year:
        ax.text(0, 2.5, "提案はまだありません", ha="center", va="center", color=GREY, fontsize=14)
    hours = kpis.hours_saved_by_year.get(kpis.fiscal_year, 0.0)
    ax.set_title(f"業務改善提案（{kpis.fiscal_year}年度の削減時間 {hours:,.0f} 時間）")
    ax.set_ylabel("件")
    ax.legend(loc="upper left")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def _png(kpis: Kpis) -> bytes:
    from matplotlib import pyplot as plt

    fig = figure(kpis)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _svg(kpis: Kpis) -> str:
    from matplotlib import pyplot as plt

    fig = figure(kpis)
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prologue or doctype


def document(kpis: Kpis, charts: str = "") -> Document:
    """The figures as totals and tables; `charts`: "svg" or "png" to draw them too."""
    y = kpis.fiscal_year
    completion = kpis.completion
    target = kpis.proposal_target
    totals = [("年度", f"{y}年度"), ("集計日", f"{kpis.measured_on:%Y/%m/%d}"),
              ("リーダー累計（目標）", f"{kpis.leaders} 人（{kpis.config.leaders.target(y)} 人）"),
              ("基礎研修修了率", f"{completion.percent}%（{completion.done:,} / {completion.of:,} 人）"),
              ("提案件数（目標）", f"{kpis.proposals('filed')} 件" + (f"（{target} 件）" if target else "")),
              ("削減時間（完了分）", f"{kpis.hours_saved_by_year.get(y, 0.0):,.1f} 時間")]
    leaders = [[f"{yy}年度", str(kpis.leaders_by_year[yy]), str(kpis.config.leaders.target(yy))]
               for yy in sorted(kpis.leaders_by_year)]
    ladder = [[t, str(kpis.serving[t]), str(kpis.config.ladder.get(t, "")),
               f"{100 * kpis.serving[t] / kpis.config.ladder[t]:.0f}%" if kpis.config.ladder.get(t) else "-"]
              for t in TIERS]
    bureaus = [[b, str(r.done), str(r.of), f"{r.percent}%"]
               for b, r in sorted(kpis.completion_by_bureau.items(), key=lambda kv: (-kv[1].percent, kv[0]))]
    proposals = [[f"{yy}年度", str(kpis.proposals("filed", yy)), str(kpis.proposals("adopted", yy)),
                  str(kpis.proposals("completed", yy)), f"{kpis.hours_saved_by_year.get(yy, 0.0):.1f}"]
                 for yy in sorted(kpis.proposals_by_year)]
    return Document(
        f"DX推進 KPI {y}年度", totals,
        [Table("リーダー育成人数（累計）", ["年度", "実績", "目標"], leaders),
         Table("人材育成体系（現在）", ["区分", "人数", "目標", "達成率"], ladder),
         Table("基礎研修修了率（部局別）", ["部局", "修了", "対象", "修了率"], bureaus),
         Table("業務改善提案", ["年度", "提案", "採用", "完了", "削減時間（完了分）"], proposals)],
        note=f"基礎研修＝全職員の必須研修（{len(kpis.required_courses)} コース）をすべて修了した在職職員の割合。"
             "リーダー累計は、その年度までに育成研修を修了したデジタル行政推進リーダーの数（異動・退任を含む）。",
        svg=_svg(kpis) if charts == "svg" else "", png=_png(kpis) if charts == "png" else b"")


def render(kpis: Kpis, fmt: str, out: Path | None) -> str | None:
    """Write the report to `out` in `fmt` (png and xlsx need a file), or give its text."""
    from tabular import reports

    if fmt == "png":
        if out is None:
            raise ValueError("png needs a file")
        out.write_bytes(_png(kpis))
        return None
    doc = document(kpis, {"html": "svg", "xlsx": "png"}.get(fmt, ""))
    return reports.render(doc, fmt, out)
