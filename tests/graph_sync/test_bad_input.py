"""Bad input loses nothing: a skipped row, a broken file or a missing column leaves the lists
as they were, and is reported. Real CSV/xlsx files, the real engine, a real SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pytest

from config.schema import ListSpec
from graph_sync.engine import run_once
from graph_sync.mapping import SyncConfig
from graph_sync.state import SyncState
from liststore import ListStore
from tests.graph_sync.conftest import read_rows, write_rows


async def snapshot(store: ListStore, list_name: str) -> dict[str, dict[str, Any]]:
    return {i.key: dict(i.fields) async for page in store.pages(list_name) for i in page}


def column(header: list[str], name: str) -> int:
    return header.index(name)


def drop_column(path: Path, name: str, extra_rows: Sequence[list[str]] = ()) -> None:
    """Rewrite the export at `path` without the column `name` (after adding `extra_rows`)."""
    header, rows = read_rows(path)
    rows += list(extra_rows)
    at = column(header, name)
    write_rows(path, header[:at] + header[at + 1:], [r[:at] + r[at + 1:] for r in rows])


@pytest.fixture
async def synced(store: ListStore, state: SyncState, specs: dict[str, ListSpec],
                 config: SyncConfig, sources: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every list after a clean first run."""
    report = await run_once(store, state, config, specs, sources)
    assert report.ok, report.as_dict()
    return {name: await snapshot(store, name)
            for name in ("Staff", "Courses", "CourseCompletions", "LeaderRoster")}


async def test_a_staff_row_with_a_bad_email_leaves_the_person_and_their_records_alone(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    _, completions = read_rows(sources / "completions.csv")
    _, leaders = read_rows(sources / "leaders.csv")
    leader_numbers = {r[0] for r in leaders}
    # A leader with completions: the cascade would reach every list.
    victim = next(r for r in rows if r[0] in leader_numbers and r[0] in {c[0] for c in completions})
    victim[column(header, "メールアドレス")] = "not-an-email"
    write_rows(sources / "staff.csv", header, rows)

    report = await run_once(store, state, config, specs, sources)

    assert any(e.file == "staff.csv" and e.column == "メールアドレス" for e in report.row_errors)
    t = report.totals()
    assert t["deactivated"] == t["deleted"] == t["updated"] == t["created"] == 0, report.as_dict()
    for name, before in synced.items():
        assert await snapshot(store, name) == before, name


async def test_an_impossible_date_in_an_existing_completion_keeps_the_record(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "completions.csv")
    done = next(r for r in rows if r[3] == "修了")
    done[5] = "2025/02/30"
    write_rows(sources / "completions.csv", header, rows)

    report = await run_once(store, state, config, specs, sources)

    assert [(e.column, "no such day" in e.reason) for e in report.row_errors] == [("修了日", True)]
    assert report.totals()["deleted"] == 0
    assert await snapshot(store, "CourseCompletions") == synced["CourseCompletions"]


async def test_a_row_without_a_readable_key_holds_every_removal_of_its_list(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    rows[0][0] = "不明"   # whose row was this? nobody can tell, so nobody is deactivated
    write_rows(sources / "staff.csv", header, rows)

    report = await run_once(store, state, config, specs, sources)

    assert report.totals()["deactivated"] == 0 and report.totals()["deleted"] == 0
    assert any("nothing is removed from Staff" in w for w in report.warnings)
    assert await snapshot(store, "Staff") == synced["Staff"]


async def test_an_unclosed_quote_applies_nothing_from_that_file(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    name = column(header, "氏名")
    rows[9][name] = '"' + rows[9][name]          # the quote opens on line 11 …
    rows[60][name] = rows[60][name] + '"'        # … and closes 51 rows later
    raw = "\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n"
    (sources / "staff.csv").write_bytes(raw.encode("cp932"))

    report = await run_once(store, state, config, specs, sources)

    staff_error, *dependants = report.file_errors
    assert "line 11" in staff_error and "nothing from this file is applied" in staff_error
    assert dependants and all("staff export could not be read" in e for e in dependants)
    assert not report.ok
    # Staff unreadable means every resource that looks people up is not applied either.
    for name_, before in synced.items():
        if name_ != "Courses":
            assert await snapshot(store, name_) == before, name_


@pytest.mark.parametrize(("dropped", "list_name", "columns"), [
    ("メールアドレス", "Staff", ["Email"]),
    ("在職区分", "Staff", ["EmploymentStatus", "IsActive"]),
    ("修了日", "CourseCompletions", ["CompletedOn", "FiscalYear"]),
])
async def test_a_missing_optional_column_is_left_alone_with_a_warning(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
    dropped: str, list_name: str, columns: list[str],
) -> None:
    drop_column(sources / ("staff.csv" if list_name == "Staff" else "completions.csv"), dropped)

    report = await run_once(store, state, config, specs, sources)

    assert report.ok and report.totals()["updated"] == 0, report.as_dict()
    assert any(dropped in w and "left as they are" in w for w in report.warnings)
    after = await snapshot(store, list_name)
    assert after == synced[list_name]
    assert any(after[k].get(columns[0]) not in (None, True, "在職") for k in after)  # there was data


async def test_a_missing_email_column_leaves_the_leaders_emails_too(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    drop_column(sources / "staff.csv", "メールアドレス")
    report = await run_once(store, state, config, specs, sources)
    assert report.totals()["updated"] == 0, report.as_dict()
    assert await snapshot(store, "LeaderRoster") == synced["LeaderRoster"]


async def test_a_new_person_without_the_status_column_is_created_as_serving(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    _, rows = read_rows(sources / "staff.csv")
    newcomer = ["999001", *rows[0][1:]]
    drop_column(sources / "staff.csv", "在職区分", [newcomer])
    report = await run_once(store, state, config, specs, sources)
    assert report.lists["Staff"].created == 1 and report.totals()["updated"] == 0
    created = await store.get("Staff", "999001")
    assert created is not None and created.fields["IsActive"] is True


async def test_emptying_a_column_on_much_of_a_list_is_a_safety_stop(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    at = column(header, "メールアドレス")
    for r in rows:
        r[at] = ""   # the column is there, and empty: an export that lost its data
    write_rows(sources / "staff.csv", header, rows)

    stopped = await run_once(store, state, config, specs, sources)
    assert stopped.stops and "Email" in stopped.stops[0] and "--force" in stopped.stops[0]
    assert await snapshot(store, "Staff") == synced["Staff"]

    forced = await run_once(store, state, config, specs, sources, force=True)
    assert not forced.stops and forced.lists["Staff"].updated == len(rows)


async def test_rewriting_one_column_on_most_of_a_list_is_a_safety_stop(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    section, title = column(header, "所属課"), column(header, "職名")
    for r in rows:
        r[section] = r[title] or "不明"   # a shifted column
    write_rows(sources / "staff.csv", header, rows)
    report = await run_once(store, state, config, specs, sources)
    assert report.stops and "Section" in report.stops[0]
    assert await snapshot(store, "Staff") == synced["Staff"]


async def test_a_third_of_the_staff_changing_section_is_normal_life(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    section = column(header, "所属課")
    sections = sorted({r[section] for r in rows})
    moved = rows[: len(rows) // 3]
    for r in moved:  # April's transfers
        r[section] = sections[(sections.index(r[section]) + 1) % len(sections)]
    write_rows(sources / "staff.csv", header, rows)
    report = await run_once(store, state, config, specs, sources)
    assert not report.stops and report.lists["Staff"].updated == len(moved)


async def test_an_xlsx_export_gives_the_same_keys_as_its_csv(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    from openpyxl import Workbook

    header, rows = read_rows(sources / "staff.csv")
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:  # staff numbers as Excel keeps them when typed: numbers, shown as 000000
        sheet.append([int(r[0]), *r[1:]])
        sheet.cell(sheet.max_row, 1).number_format = "000000"
    (sources / "staff.csv").unlink()
    book.save(sources / "staff.xlsx")

    report = await run_once(store, state, config, specs, sources)

    t = report.totals()
    assert report.ok and t["created"] == t["updated"] == t["deactivated"] == t["deleted"] == 0, t


async def test_a_row_with_missing_cells_is_reported_and_its_item_kept(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "completions.csv")
    done = [r for r in rows if r[3] == "修了"][:5]
    for r in done:
        del r[-1]  # the 修了日 cell is gone, not empty: the row no longer lines up
    write_rows(sources / "completions.csv", header, rows)
    report = await run_once(store, state, config, specs, sources)
    assert len(report.row_errors) == 5 and all("cells" in e.reason for e in report.row_errors)
    assert report.totals()["updated"] == 0
    assert await snapshot(store, "CourseCompletions") == synced["CourseCompletions"]


@pytest.mark.parametrize("cut", ["after a cell", "inside a cell"])
async def test_an_export_cut_off_mid_row_applies_nothing(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]], cut: str,
) -> None:
    path = sources / "completions.csv"
    data = path.read_bytes()
    marker = ",修了,100,".encode("cp932")
    at = data.find(marker, int(len(data) * 0.97))
    end = at + len(marker) - 1 if cut == "after a cell" else at + len(marker) + 4
    path.write_bytes(data[:end])  # a copy that stopped part-way through a row
    report = await run_once(store, state, config, specs, sources)
    assert any("cut off" in e for e in report.file_errors), report.as_dict()
    assert report.totals()["deleted"] == 0
    assert await snapshot(store, "CourseCompletions") == synced["CourseCompletions"]


async def test_a_staff_number_that_lost_its_leading_zero_is_not_a_new_person(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "staff.csv")
    zeros = [r for r in rows if r[0].startswith("0")][:3]
    assert zeros, "the sample city has staff numbers with leading zeros"
    for r in zeros:
        r[0] = r[0].lstrip("0")  # what Excel does to a number typed without a text format
    write_rows(sources / "staff.csv", header, rows)
    report = await run_once(store, state, config, specs, sources, only=["staff"])
    t = report.totals()
    assert t["created"] == t["deactivated"] == 0, t
    lost = [e for e in report.row_errors if "leading zeros" in e.reason]
    assert len(lost) == 3 and all(e.line > 1 for e in lost)
    assert await snapshot(store, "Staff") == synced["Staff"]


async def test_a_cut_that_leaves_a_valid_last_row_still_removes_nothing(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    path = sources / "completions.csv"
    data = path.read_bytes()
    # Cut inside a date such as 2021/09/18 so that what is left (2021/09/1) is still a date.
    marker = ",修了,100,".encode("cp932")
    at = data.find(marker, int(len(data) * 0.97)) + len(marker)
    while not (data[at + 4:at + 5] in (b"/", b"-") and data[at + 8:at + 9] in (b"1", b"2")
               and data[at + 10:at + 12] == b"\r\n"):
        at = data.find(marker, at) + len(marker)
    path.write_bytes(data[:at + 9])
    report = await run_once(store, state, config, specs, sources)
    assert report.totals()["deleted"] == 0 and report.totals()["updated"] == 0, report.as_dict()
    assert any("line break" in w for w in report.warnings)
    assert await snapshot(store, "CourseCompletions") == synced["CourseCompletions"]


@pytest.mark.parametrize("export", ["completions.csv", "leaders.csv"])
async def test_zeros_lost_in_a_file_other_than_staff_keep_their_items(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]], export: str,
) -> None:
    header, rows = read_rows(sources / export)
    stripped = [r for r in rows if r[0].startswith("0")][:2]
    assert stripped
    for r in stripped:
        r[0] = r[0].lstrip("0")
    write_rows(sources / export, header, rows)
    report = await run_once(store, state, config, specs, sources)
    t = report.totals()
    assert t["deleted"] == t["deactivated"] == t["created"] == 0, t
    assert sum("leading zeros" in e.reason for e in report.row_errors) == 2
    for name, before in synced.items():
        assert await snapshot(store, name) == before, name


async def test_a_copy_cut_between_cr_and_lf_is_not_taken_for_complete(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    path = sources / "completions.csv"
    data = path.read_bytes()
    at = data.find(b"\r\n", int(len(data) * 0.97))
    path.write_bytes(data[:at + 1])
    report = await run_once(store, state, config, specs, sources)
    assert report.totals()["deleted"] == 0, report.as_dict()
    assert await snapshot(store, "CourseCompletions") == synced["CourseCompletions"]


async def test_editing_half_of_a_small_list_is_not_a_safety_stop(
    store: ListStore, state: SyncState, specs: dict[str, ListSpec], config: SyncConfig,
    sources: Path, synced: dict[str, dict[str, dict[str, Any]]],
) -> None:
    header, rows = read_rows(sources / "courses.csv")
    hours = column(header, "時間")
    for r in rows[: len(rows) // 2 + 1]:  # the LMS re-timed half of the 31 courses
        r[hours] = str(float(r[hours] or 1) + 0.5)
    write_rows(sources / "courses.csv", header, rows)
    report = await run_once(store, state, config, specs, sources, only=["courses"])
    assert not report.stops and report.lists["Courses"].updated == len(rows) // 2 + 1
