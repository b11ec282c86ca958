"""The sync state's contract, on the in-memory twin, SQLite and Azure Table storage (Azurite),
which several machines share. The clock is injected, so every stamp is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from azurestore import StateStorage
from graph_sync.state import MemorySyncState, SqliteSyncState, SyncState
from graph_sync.state.azure import TableSyncState
from tests.fakes.azurite import unique_prefix


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 2, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


Opener = Callable[[], SyncState]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "sqlite", "azure"])
def opener(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Opener:
    """Opens the same state again each call, as a new process would (memory: the same object)."""
    if request.param == "memory":
        twin = MemorySyncState(clock)
        return lambda: twin
    if request.param == "azure":
        connection, prefix = request.getfixturevalue("azurite").connection_string, unique_prefix()
        return lambda: TableSyncState(StateStorage(connection, prefix), clock)
    return lambda: SqliteSyncState(tmp_path / "sync-state.sqlite3", clock)


@pytest.fixture
async def state(opener: Opener) -> AsyncIterator[SyncState]:
    st = opener()
    yield st
    await st.close()


async def test_a_fresh_state_has_no_cursor_mirror_or_runs(state: SyncState) -> None:
    assert await state.cursor("Staff") is None
    assert await state.mirror("Staff") == {}
    assert await state.runs() == []
    assert await state.group_members("leaders") == {}


async def test_a_change_feed_moves_mirror_and_cursor_together(state: SyncState) -> None:
    await state.apply_changes("Staff", {"000123": {"Name": "山田 花子"}, "000124": {"Name": "佐藤 一郎"}},
                              [], "t1", full=True)
    await state.apply_changes("Staff", {"000125": {"Name": "鈴木 次郎"}}, ["000124"], "t2", full=False)
    assert await state.cursor("Staff") == "t2"
    assert await state.mirror("Staff") == {"000123": {"Name": "山田 花子"}, "000125": {"Name": "鈴木 次郎"}}
    assert await state.cursor("Courses") is None  # lists never share a mirror or a cursor


async def test_a_full_feed_replaces_the_whole_mirror(state: SyncState) -> None:
    await state.apply_changes("Staff", {"a": {"n": 1}, "b": {"n": 2}}, [], "t1", full=True)
    await state.apply_changes("Staff", {"c": {"n": 3}}, [], "t2", full=True)
    assert await state.mirror("Staff") == {"c": {"n": 3}}


async def test_confirmed_writes_merge_into_the_mirror_and_leave_the_cursor(state: SyncState) -> None:
    await state.apply_changes("Staff", {"a": {"Name": "山田", "Section": "情報政策課"}}, [], "t1", full=True)
    await state.record_writes("Staff", {"a": {"Section": "DX推進課"}, "b": {"Name": "新人"}}, [])
    await state.record_writes("Staff", {}, ["b"])
    assert await state.mirror("Staff") == {"a": {"Name": "山田", "Section": "DX推進課"}}
    assert await state.cursor("Staff") == "t1"


async def test_values_of_some_keys_only(state: SyncState) -> None:
    await state.apply_changes("Staff", {f"{n:06}": {"n": n} for n in range(1200)}, [], "t", full=True)
    wanted = [f"{n:06}" for n in range(0, 1200, 3)] + ["absent"]
    got = await state.mirror_values("Staff", wanted)
    assert got == {f"{n:06}": {"n": n} for n in range(0, 1200, 3)}


async def test_a_caller_changing_what_it_passed_or_got_changes_nothing(state: SyncState) -> None:
    fields = {"Name": "山田"}
    await state.apply_changes("Staff", {"a": fields}, [], "t", full=True)
    fields["Name"] = "changed after the call"
    (await state.mirror("Staff"))["a"]["Name"] = "changed in a copy"  # type: ignore[index]
    assert await state.mirror("Staff") == {"a": {"Name": "山田"}}


async def test_group_members_are_replaced_with_their_cursor(state: SyncState) -> None:
    await state.save_group_members("leaders", {"g1": {"u1": "000123", "u2": ""}, "g2": {"u3": "000200"}}, "d1")
    await state.save_group_members("leaders", {"g1": {"u1": "000123"}}, "d2")
    assert await state.group_members("leaders") == {"g1": {"u1": "000123"}}
    assert await state.cursor("entra:leaders") == "d2"
    assert await state.group_members("other") == {}


async def test_runs_are_stamped_by_the_clock_and_listed_newest_first(opener: Opener, clock: Clock) -> None:
    state = opener()
    first, unfinished = await state.start_run("nightly")
    assert unfinished == []
    clock.now += timedelta(minutes=7)
    await state.finish_run(first, "ok", {"totals": {"created": 3}})
    second, _ = await state.start_run("hourly")
    [newest, oldest] = await state.runs()
    assert (newest.id, newest.job, newest.status, newest.finished_at) == (second, "hourly", "running", None)
    assert (oldest.id, oldest.started_at, oldest.finished_at) == (first, "2026-04-01T02:30:00Z",
                                                                  "2026-04-01T02:37:00Z")
    assert oldest.status == "ok" and oldest.report == {"totals": {"created": 3}}
    assert [r.id for r in await state.runs(limit=1)] == [second]
    await state.close()


async def test_a_run_that_never_finished_is_reported_once_and_marked_interrupted(opener: Opener) -> None:
    killed = opener()
    run_id, _ = await killed.start_run("nightly")
    await killed.close()  # the process died here
    state = opener()
    next_id, unfinished = await state.start_run("nightly")
    assert [r.id for r in unfinished] == [run_id] and next_id != run_id
    assert {r.id: r.status for r in await state.runs()}[run_id] == "interrupted"
    _, again = await state.start_run("nightly")
    assert run_id not in [r.id for r in again]
    await state.close()


async def test_a_run_taken_over_stays_interrupted_when_it_finishes_late(opener: Opener) -> None:
    state = opener()
    lost, _ = await state.start_run("nightly")  # its lock was lost; it goes on for a moment
    _, unfinished = await state.start_run("nightly")  # the next holder marks it interrupted
    await state.finish_run(lost, "ok", {"totals": {"created": 3}})
    assert [r.id for r in unfinished] == [lost]
    assert {r.id: (r.status, r.report) for r in await state.runs()}[lost] == ("interrupted", None)
    await state.close()


async def test_what_was_saved_is_there_after_reopening(opener: Opener) -> None:
    first = opener()
    await first.apply_changes("Staff", {"a": {"Name": "山田"}}, [], "t1", full=True)
    await first.save_group_members("leaders", {"g": {"u": "000001"}}, "d1")
    await first.close()
    again = opener()
    assert await again.cursor("Staff") == "t1" and await again.mirror("Staff") == {"a": {"Name": "山田"}}
    assert await again.group_members("leaders") == {"g": {"u": "000001"}}
    await again.close()


async def test_a_write_that_cannot_be_stored_changes_nothing(state: SyncState) -> None:
    await state.apply_changes("Staff", {"a": {"n": 1}}, [], "t1", full=True)
    with pytest.raises(TypeError):
        await state.record_writes("Staff", {"b": {"n": 2}, "c": {"n": object()}}, ["a"])
    assert await state.mirror("Staff") == {"a": {"n": 1}}


async def test_runs_that_never_finished_come_back_newest_first(opener: Opener) -> None:
    state = opener()
    older, _ = await state.start_run("nightly")
    newer, unfinished = await state.start_run("hourly")  # `older` was killed; now `newer` is
    assert [r.id for r in unfinished] == [older]
    await state.close()
    again = opener()
    _, unfinished = await again.start_run("nightly")
    assert [r.id for r in unfinished] == [newer]
    await again.close()


async def test_closing_twice_is_harmless(opener: Opener) -> None:
    state = opener()
    await state.close()
    await state.close()
