"""`dx-sync kpi` as the division runs it: the figures of a small city counted by hand, written
to the KPI list once (a rerun changes nothing, a change rewrites only its rows), the report as
PNG, HTML (opened in Chromium) and xlsx; the sample city's report rendered to PNG; and the
nightly job computing them after the sync."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

from config.settings import load_settings
from graph_sync.cli import scheduled_run
from graph_sync.mapping import load_sync_config
from graph_sync.sample.generate import generate
from liststore import Upsert, open_store
from tests.bot.conftest import provision
from tests.browser import chromium

FY = 2026


def dx_sync(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DX_")}, "DX_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "graph_sync.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def staff(name: str, bureau: str, status: str = "在職", active: bool = True) -> dict:
    return {"Title": name, "Bureau": bureau, "Section": "x課", "EmploymentStatus": status, "IsActive": active}


def done(number: str, course: str, on: str | None = f"{FY}-06-01", status: str = "修了") -> Upsert:
    return Upsert(f"{number}_{course}", {"Title": "x", "StaffNumber": number, "CourseCode": course,
                                         "Status": status, "CompletedOn": on})


async def small_city(data_dir: Path) -> None:
    """5 serving staff in two bureaus, one on leave, one retired; two courses required of all
    staff this year; four leaders trained over two cohorts; six proposals over two years."""
    settings = load_settings(data_dir=data_dir)
    await provision(settings)
    async with open_store(settings) as store:
        await store.upsert("Staff", [
            Upsert("000001", staff("a", "総務局")), Upsert("000002", staff("b", "総務局")),
            Upsert("000003", staff("c", "総務局")), Upsert("000004", staff("d", "財政局")),
            Upsert("000005", staff("e", "財政局")), Upsert("000006", staff("f", "財政局", "休職")),
            Upsert("000007", staff("g", "総務局", "退職", False))])
        await store.upsert("Courses", [
            Upsert("R1", {"Title": "AI基礎", "Program": "一般職員研修", "IsRequired": True, "FirstFiscalYear": 2025}),
            Upsert("R2", {"Title": "情報保護", "Program": "一般職員研修", "IsRequired": True, "FirstFiscalYear": FY}),
            Upsert("OLD", {"Title": "旧", "Program": "一般職員研修", "IsRequired": True, "FirstFiscalYear": 2020,
                           "LastFiscalYear": 2024}),
            Upsert("OPT", {"Title": "任意", "Program": "一般職員研修", "IsRequired": False, "FirstFiscalYear": 2020}),
            Upsert("LD", {"Title": "リーダー演習", "Program": "リーダー育成研修", "IsRequired": True,
                          "FirstFiscalYear": 2021})])
        await store.upsert("CourseCompletions", [
            done("000001", "R1"), done("000001", "R2"),  # a: both
            done("000002", "R1"), done("000002", "R2", on=f"{FY + 1}-04-02"),  # b: R2 after the year
            done("000003", "R1"), done("000003", "R2", status="受講中", on=None),  # c: R2 in progress
            done("000004", "R1", on="2025-09-01"), done("000004", "R2"),  # d: both
            done("000005", "OPT"), done("000005", "LD"),  # e: nothing required
            done("000006", "R1"), done("000006", "R2"),  # f: on leave, not counted
            done("000007", "R1"), done("000007", "R2")])  # g: retired, not counted
        leader = {"Tier": "デジタル行政推進リーダー", "RosterStatus": "在籍", "Bureau": "総務局", "Section": "x課"}
        await store.upsert("LeaderRoster", [
            Upsert("100001", {**leader, "Title": "l1", "CohortFiscalYear": 2021}),
            Upsert("100002", {**leader, "Title": "l2", "CohortFiscalYear": 2021}),
            Upsert("100003", {**leader, "Title": "l3", "CohortFiscalYear": 2022, "RosterStatus": "異動"}),
            Upsert("100004", {**leader, "Title": "l4", "CohortFiscalYear": FY + 1}),  # a later cohort
            Upsert("100005", {**leader, "Title": "a1", "Tier": "DXアドバイザー"}),
            Upsert("100006", {**leader, "Title": "p1", "Tier": "DX推進リーダー", "RosterStatus": "退任"})])
        proposal = {"Title": "p", "Category": "その他", "Kind": "業務改善提案", "Problem": "x", "Idea": "y",
                    "ProposerEmail": "a@city.example.jp", "SubmittedAt": f"{FY}-05-01T00:00:00Z"}
        proposals = [("2025-0001", 2025, "不採用", None), ("2025-0002", 2025, "完了", 100),
                     (f"{FY}-0001", FY, "受付", None), (f"{FY}-0002", FY, "採用", None),
                     (f"{FY}-0003", FY, "完了", 12.5), (f"{FY}-0004", FY, "差し戻し", None)]
        filed = await store.upsert("Proposals", [
            Upsert(number, {**proposal, "FiscalYear": year, "Status": status, "ActualHoursSaved": hours,
                            "SubmissionId": f"S-{number}"}) for number, year, status, hours in proposals])
        assert all(r.ok for r in filed), filed


async def kpi_list(data_dir: Path) -> dict[str, dict]:
    async with open_store(load_settings(data_dir=data_dir)) as store:
        return {i.key: dict(i.fields) async for page in store.pages("KPI") for i in page}


async def test_the_figures_of_a_small_city_match_a_hand_count_and_are_written_once(tmp_path: Path) -> None:
    await small_city(tmp_path)
    out = tmp_path / "kpi.png"
    first = dx_sync(tmp_path, "kpi", "--fiscal-year", str(FY), "--format", "png", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "作成 11 更新 0 変更なし 0" in first.stdout
    rows = await kpi_list(tmp_path)
    value = {k: (r["Value"], r["Target"]) for k, r in rows.items()}
    # Trained by FY2026: the two 2021 leaders and the one of 2022 who moved since; not 2027's.
    assert value[f"{FY}:リーダー累計人数"] == (3, 100)
    assert value[f"{FY}:DXアドバイザー人数"] == (1, 40)
    assert value[f"{FY}:DX推進リーダー人数"] == (0, 10)  # stepped down
    assert value[f"{FY}:デジタル行政推進リーダー人数"] == (3, 100)  # serving: l1, l2, and l4 of the next cohort
    # Serving staff a–e; a and d completed both required courses within the year.
    assert value[f"{FY}:基礎研修修了率"] == (40.0, 100)
    assert value[f"{FY}:基礎研修修了率:総務局"] == (33.3, 100)  # a of a, b, c
    assert value[f"{FY}:基礎研修修了率:財政局"] == (50.0, 100)  # d of d, e
    assert value[f"{FY}:提案件数"] == (4, 3)  # 2025 had 2: +30% is 2.6, so 3
    assert value[f"{FY}:提案採用件数"][0] == 2 and value[f"{FY}:提案完了件数"][0] == 1
    assert value[f"{FY}:削減時間"] == (12.5, None)
    assert rows[f"{FY}:基礎研修修了率:総務局"]["Bureau"] == "総務局"
    assert rows[f"{FY}:リーダー累計人数"]["Title"] == f"{FY}年度 リーダー累計人数"

    again = dx_sync(tmp_path, "kpi", "--fiscal-year", str(FY))
    assert again.returncode == 0 and "作成 0 更新 0 変更なし 11" in again.stderr
    assert "| リーダー累計（目標） | 3 人（100 人） |" in again.stdout
    async with open_store(load_settings(data_dir=tmp_path)) as store:  # c completes R2
        await store.upsert("CourseCompletions", [done("000003", "R2")])
    changed = dx_sync(tmp_path, "kpi", "--fiscal-year", str(FY))
    assert "作成 0 更新 2 変更なし 9 削除 0" in changed.stderr  # the city's rate and 総務局's
    assert (await kpi_list(tmp_path))[f"{FY}:基礎研修修了率:総務局"]["Value"] == 66.7
    async with open_store(load_settings(data_dir=tmp_path)) as store:  # 財政局's staff all leave
        await store.upsert("Staff", [Upsert(n, {"IsActive": False, "EmploymentStatus": "退職"})
                                     for n in ("000004", "000005", "000006")])
    gone = dx_sync(tmp_path, "kpi", "--fiscal-year", str(FY))
    assert "作成 0 更新 1 変更なし 9 削除 1" in gone.stderr  # its row would show its last figure forever
    assert f"{FY}:基礎研修修了率:財政局" not in await kpi_list(tmp_path)

    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1300, 900)


async def test_the_report_opens_as_a_page_in_chromium_and_as_a_workbook(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    await small_city(tmp_path)
    page, book = tmp_path / "kpi.html", tmp_path / "kpi.xlsx"
    assert dx_sync(tmp_path, "kpi", "--fiscal-year", str(FY), "--format", "html", "--out", str(page)).returncode == 0
    assert dx_sync(tmp_path, "kpi", "--fiscal-year", str(FY), "--format", "xlsx", "--out", str(book)).returncode == 0
    dom = chromium(tmp_path / "chromium", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 1 and dom.stdout.count("<table") == 4
    assert "DX推進 KPI 2026年度" in dom.stdout
    written = page.read_text("utf-8")  # self-contained: nothing to fetch, nothing to run
    assert not any(tag in written for tag in ("<script", "<img", "<link", 'src="', 'href="http'))
    workbook = load_workbook(book)
    assert workbook.sheetnames[:2] == ["グラフ", "概要"] and len(workbook["グラフ"]._images) == 1
    bureaus = list(workbook["基礎研修修了率（部局別）"].iter_rows(values_only=True))
    assert bureaus == [("部局", "修了", "対象", "修了率"), ("財政局", 1, 2, "50.0%"), ("総務局", 1, 3, "33.3%")]
    with zipfile.ZipFile(book) as archive:
        assert any(name.startswith("xl/media/") for name in archive.namelist())


def test_a_png_without_a_file_is_a_clear_error(tmp_path: Path) -> None:
    done_ = dx_sync(tmp_path, "kpi", "--format", "png")
    assert done_.returncode == 2 and "--out" in done_.stderr and "Traceback" not in done_.stderr


async def test_the_sample_citys_report_renders_and_the_nightly_job_writes_the_kpis(tmp_path: Path) -> None:
    """The nightly job of config/sync.toml over the sample city's exports, then its report as
    PNG (kept in the test's folder for a person to look at)."""
    settings = load_settings(data_dir=tmp_path / "var")
    generate(settings.resolved_sources_dir, staff=600, seed=5)
    await provision(settings)
    config = load_sync_config()
    [nightly] = [j for j in config.jobs if j.name == "nightly"]
    assert await scheduled_run(settings, config, nightly.name, nightly.resources)
    rows = await kpi_list(tmp_path / "var")
    leaders = [r for k, r in rows.items() if k.endswith(":リーダー累計人数")]
    assert len(leaders) == 1 and leaders[0]["Value"] > 0 and leaders[0]["Target"] == 100
    assert len([k for k in rows if ":基礎研修修了率:" in k]) == 12  # every bureau of the sample city
    out = tmp_path / "sample-city-kpi.png"
    shown = dx_sync(tmp_path / "var", "kpi", "--format", "png", "--out", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "作成 0 更新 0" in shown.stdout  # the nightly job wrote them already
    assert out.stat().st_size > 60_000
    print(f"the sample city's KPI report: {out}")
