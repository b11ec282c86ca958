"""The sync run end to end: sample exports → validate → plan → apply, on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from config.schema import ListSpec
from graph_sync.engine import run_once
from graph_sync.mapping import SyncConfig
from graph_sync.state import SyncState
from liststore import ListStore, Upsert
from tests.graph_sync.conftest import read_rows, write_rows


async def tokens(store: ListStore, names: list[str]) -> dict[str, str]:
    return {n: (await store.changes(n, None)).token for n in names}


async def test_first_run_loads_everything_and_second_run_writes_nothing(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    first = await run_once(store, state, config, specs, sources)
    assert first.ok, first.as_dict()
    _, completions = read_rows(sources / "completions.csv")
    _, leaders = read_rows(sources / "leaders.csv")
    assert first.lists["Staff"].created == 400
    assert first.lists["CourseCompletions"].created == len(completions)
    assert first.lists["LeaderRoster"].created == len(leaders)
    assert await store.count("CourseCompletions") == len(completions)

    before = await tokens(store, list(first.lists))
    second = await run_once(store, state, config, specs, sources)
    t = second.totals()
    assert t["created"] == t["updated"] == t["deactivated"] == t["deleted"] == t["failed"] == 0
    assert t["unchanged"] == sum(first.totals()[k] for k in ("created",))
    # Nothing was written at all: every change token is where it was.
    assert await tokens(store, list(first.lists)) == before


async def test_values_arrive_normalised(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    await run_once(store, state, config, specs, sources)
    header, rows = read_rows(sources / "completions.csv")
    wareki = next(r for r in rows if "令和" in r[5])
    item = await store.get("CourseCompletions", f"{wareki[0]}_{wareki[1]}")
    assert item is not None and item.fields["Status"] == "修了"
    assert item.fields["CompletedOn"][:4].isdigit() and item.fields["ProgressPercent"] == 100
    person = await store.get("Staff", wareki[0])
    assert person is not None and "\u3000" not in person.fields["Title"]
    assert item.fields["Bureau"] == person.fields["Bureau"]
    roster = await store.query("LeaderRoster", "Cohort", 1)
    assert len(roster) == 20 and all(r.fields["CohortFiscalYear"] == 2021 for r in roster)


async def test_only_changed_rows_are_written(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    await run_once(store, state, config, specs, sources)
    header, rows = read_rows(sources / "completions.csv")
    changed = 0
    for r in rows:
        if r[3] == "未受講" and changed < len(rows) // 100:
            r[3], r[4], r[5] = "修了", "100", "令和8年6月1日"
            changed += 1
    write_rows(sources / "completions.csv", header, rows)
    report = await run_once(store, state, config, specs, sources)
    assert report.lists["CourseCompletions"].updated == changed
    assert report.totals()["updated"] == changed and report.totals()["created"] == 0


async def test_bad_rows_are_reported_and_the_rest_syncs(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    header, rows = read_rows(sources / "completions.csv")
    rows[0][0] = "ABC"          # line 2: not a staff number
    rows[1][3] = "たぶん修了"     # line 3: unknown status
    rows[2][5] = "2025/02/30"   # line 4: no such day
    rows[3][0] = "999999"       # line 5: nobody has this number
    rows[5] = list(rows[4])     # line 7: duplicate of line 6
    write_rows(sources / "completions.csv", header, rows)
    report = await run_once(store, state, config, specs, sources)
    errors = {(e.line, e.column): e.reason for e in report.row_errors}
    assert set(errors) == {(2, "職員番号"), (3, "受講状況"), (4, "修了日"), (5, "職員番号"), (7, "受講キー")}
    assert "職員番号" in errors[(2, "職員番号")] and "staff number" in errors[(2, "職員番号")]
    assert "unknown staff number" in errors[(5, "職員番号")]
    assert "duplicate" in errors[(7, "受講キー")]
    assert all(e.file == "completions.csv" for e in report.row_errors)
    assert not report.ok and report.totals()["failed"] == 5
    assert report.lists["CourseCompletions"].created == len(rows) - 5


async def test_a_truncated_export_never_wipes_a_list(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    await run_once(store, state, config, specs, sources)
    header, rows = read_rows(sources / "staff.csv")
    write_rows(sources / "staff.csv", header, rows[:200])
    stopped = await run_once(store, state, config, specs, sources, only=["staff"])
    assert stopped.stops and "Staff" in stopped.stops[0] and "--force" in stopped.stops[0]
    assert "Staff" not in stopped.lists
    assert len(await store.query("Staff", "IsActive", True)) >= 390
    forced = await run_once(store, state, config, specs, sources, only=["staff"], force=True)
    assert forced.lists["Staff"].deactivated == 200 - sum(
        1 for r in rows[200:] if r[7] == "退職")
    assert await store.count("Staff") == 400  # deactivated, not deleted


async def test_a_leaver_is_deactivated_and_hand_edits_survive(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    await run_once(store, state, config, specs, sources)
    header, rows = read_rows(sources / "staff.csv")
    leaver = next(r for r in rows if r[7] == "在職")
    keeper = next(r for r in rows if r[7] == "在職" and r is not leaver)
    await store.upsert("Staff", [Upsert(keeper[0], {"Notes": "DX相談デスク担当"})])
    write_rows(sources / "staff.csv", header, [r for r in rows if r is not leaver], "utf-8-sig")
    report = await run_once(store, state, config, specs, sources, only=["staff"])
    assert report.lists["Staff"].deactivated == 1
    gone = await store.get("Staff", leaver[0])
    assert gone is not None and gone.fields["IsActive"] is False
    assert gone.fields["EmploymentStatus"] == "退職"
    kept = await store.get("Staff", keeper[0])
    assert kept is not None and kept.fields["Notes"] == "DX相談デスク担当"


async def test_a_missing_export_is_reported_without_stopping_the_others(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    (sources / "leaders.csv").unlink()
    report = await run_once(store, state, config, specs, sources)
    assert any("leaders.csv" in e and "not found" in e for e in report.file_errors)
    assert report.lists["Staff"].created == 400 and "LeaderRoster" not in report.lists
    assert not report.ok


async def test_another_citys_header_spellings_fit_through_config(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    renamed = ["職員ID" if h == "職員番号" else "フリガナ" if h == "氏名カナ" else h for h in header]
    for r in rows:
        r[7] = {"在職": "在職中", "休職": "育休"}.get(r[7], r[7])
    write_rows(sources / "staff.csv", renamed, rows, "utf-8")
    report = await run_once(store, state, config, specs, sources, only=["staff"])
    assert report.ok and report.lists["Staff"].created == 400
    on_leave = await store.query("Staff", "EmploymentStatus", "休職")
    assert on_leave and all(i.fields["IsActive"] for i in on_leave)


async def test_a_missing_required_header_is_a_file_error(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    header, rows = read_rows(sources / "courses.csv")
    write_rows(sources / "courses.csv", ["code" if h == "研修コード" else h for h in header], rows)
    report = await run_once(store, state, config, specs, sources, only=["courses"])
    assert report.file_errors and "研修コード" in report.file_errors[0]


async def test_edits_people_make_are_noticed_and_own_writes_are_not(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    first = await run_once(store, state, config, specs, sources)
    assert first.edited == {}  # the first load's own echoes are not "edits"
    header, rows = read_rows(sources / "staff.csv")
    someone = rows[0][0]
    # A person fixes a name by hand in SharePoint (a column the sync owns) …
    await store.upsert("Staff", [Upsert(someone, {"Title": "手で直した名前"})])
    second = await run_once(store, state, config, specs, sources)
    # … the run notices, and restores what the HR export says.
    assert second.edited == {"Staff": 1}
    assert second.lists["Staff"].updated == 1
    item = await store.get("Staff", someone)
    assert item is not None and item.fields["Title"] != "手で直した名前"
    third = await run_once(store, state, config, specs, sources)
    assert third.edited == {} and third.totals()["updated"] == 0


async def test_a_staff_export_in_excel_syncs(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    from openpyxl import Workbook

    header, rows = read_rows(sources / "staff.csv")
    (sources / "staff.csv").unlink()
    book = Workbook()
    book.active.append(header)
    for r in rows:
        book.active.append(r)
    book.save(sources / "staff.xlsx")
    report = await run_once(store, state, config, specs, sources, only=["staff"])
    assert report.ok and report.lists["Staff"].created == 400
    person = await store.get("Staff", rows[0][0])
    assert person is not None and person.fields["Bureau"] == rows[0][3]


async def test_after_a_killed_run_its_own_writes_are_not_blamed_on_people(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path,
) -> None:
    await run_once(store, state, config, specs, sources)
    header, rows = read_rows(sources / "completions.csv")
    changed = [r for r in rows if r[3] == "受講中"][:5]
    for r in changed:
        r[3], r[4], r[5] = "修了", "100", "2026/06/01"
    write_rows(sources / "completions.csv", header, rows)
    # A run that wrote these items and was killed before it could record them.
    await state.start_run("nightly")
    await store.upsert("CourseCompletions", [
        Upsert(f"{r[0]}_{r[1]}", {"Status": "修了", "ProgressPercent": 100, "CompletedOn": "2026-06-01",
                                  "FiscalYear": 2026}) for r in changed])

    report = await run_once(store, state, config, specs, sources)

    assert report.resumed and report.edited == {}
    assert report.ok and report.totals()["updated"] == 0
