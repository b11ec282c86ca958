"""Reports the DX division opens: totals and tables, written as Markdown (a terminal), CSV
(UTF-8 with BOM), xlsx (one sheet a table, numbers as numbers) or one self-contained HTML page
(tables with bar charts in inline SVG, nothing fetched). Every text cell of the spreadsheets is
formula-safe (tabular/cells.py): a title typed as `=HYPERLINK(…)` stays text.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from tabular.cells import neutralise
from tabular.cells import write_csv as write_safe_csv

FORMATS = ("md", "csv", "xlsx", "html")


@dataclass(frozen=True, slots=True)
class Table:
    """One breakdown; `chart`: the HTML page draws its second column as bars."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    chart: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    totals: Sequence[tuple[str, str]] = ()
    tables: Sequence[Table] = field(default_factory=tuple)
    note: str = ""  # one line under the title (what the figures cover)
    # Charts drawn elsewhere (graph_sync/kpi_report.py): inline SVG for the page, PNG for a sheet.
    svg: str = ""
    png: bytes = b""


def to_markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", ""]
    if doc.note:
        lines += [doc.note, ""]
    if doc.totals:
        lines += ["| 項目 | 値 |", "|---|---|"] + [f"| {_md(k)} | {_md(v)} |" for k, v in doc.totals]
    for table in doc.tables:
        lines += ["", f"## {table.title}", "", "| " + " | ".join(table.header) + " |",
                  "|" + "---|" * len(table.header)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _sheets(doc: Document) -> list[tuple[str, list[Sequence[str]]]]:
    sheets: list[tuple[str, list[Sequence[str]]]] = []
    if doc.totals:
        sheets.append(("概要", [["項目", "値"], *[[k, v] for k, v in doc.totals]]))
    return sheets + [(t.title, [t.header, *t.rows]) for t in doc.tables]


def _csv_rows(doc: Document) -> list[Sequence[str]]:
    """Every table one after another, a blank row between."""
    rows: list[Sequence[str]] = []
    for title, table in _sheets(doc):
        rows += [[title], *table, []]
    return rows


def write_csv(path: Path, doc: Document) -> None:
    """The tables as a CSV file in UTF-8 with BOM (what Excel opens correctly)."""
    write_safe_csv(path, _csv_rows(doc))


def to_csv(doc: Document) -> str:
    """The tables as CSV text (for a terminal or a pipe), cells formula-safe."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([neutralise(c) for c in row] for row in _csv_rows(doc))
    return buffer.getvalue()


def write_xlsx(path: Path, doc: Document) -> None:
    """One sheet per table; counts and hours as numbers, every text cell formula-safe."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for title, table in _sheets(doc):
        sheet = book.create_sheet(title[:31])
        for r, row in enumerate(table):
            sheet.append([_number_or_text(c) for c in row])
            if r == 0:
                for cell in sheet[1]:
                    cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 36
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if doc.png:
        from openpyxl.drawing.image import Image

        charts = book.create_sheet("グラフ", 0)
        charts.add_image(Image(io.BytesIO(doc.png)), "A1")
    book.save(path)


def _number_or_text(cell: str) -> float | int | str:
    """Counts and hours as numbers (Excel sums them); anything else as safe text."""
    plain = cell.replace(",", "")
    if plain.isascii() and plain.isdigit():
        return int(plain)
    if plain.isascii() and plain.replace(".", "", 1).isdigit():
        return float(plain)
    return neutralise(cell)


def to_html(doc: Document) -> str:
    """A page a manager reads at a glance: the totals, then each table, with bars where it says."""
    parts = [f"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
             f"<title>{html.escape(doc.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(doc.title)}</h1>"]
    if doc.note:
        parts.append(f"<p class=\"note\">{html.escape(doc.note)}</p>")
    if doc.totals:
        parts.append("<dl class=\"totals\">")
        parts += [f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in doc.totals]
        parts.append("</dl>")
    if doc.svg:
        parts.append(f"<figure class=\"figure\">{doc.svg}</figure>")
    for table in doc.tables:
        parts.append(f"<section><h2>{html.escape(table.title)}</h2>")
        if table.chart:
            parts.append(_bars([(r[0], int(r[1].replace(",", ""))) for r in table.rows]))
        parts.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
                     + "</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in table.rows]
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _cell(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def render(doc: Document, fmt: str, out: Path | None) -> str | None:
    """Write `doc` to `out` in `fmt`, or give its text (md, csv, html) when there is no file."""
    if fmt == "xlsx":
        if out is None:
            raise ValueError("xlsx needs a file")
        write_xlsx(out, doc)
        return None
    if fmt == "csv" and out is not None:
        write_csv(out, doc)
        return None
    text = {"md": to_markdown, "html": to_html, "csv": to_csv}[fmt](doc)
    if out is None:
        return text
    out.write_text(text, encoding="utf-8")
    return None


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
.note { color: #4b5563; }
.totals dd { margin: .25rem 0 0; font-size: 1.5rem; font-weight: bold; }
.chart rect { fill: #2563eb; } .chart text { font-size: 13px; fill: #1f2937; }
table { border-collapse: collapse; margin-top: .5rem; } th, td { border: 1px solid #d1d5db; padding: .25rem .75rem; }
td:not(:first-child) { text-align: right; }
.figure { margin: 1.5rem 0; } .figure svg { max-width: 100%; height: auto; }
"""
