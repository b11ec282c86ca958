"""The sync state in Azure Table storage (Azurite) as sync workers on several machines share it:
a worker killed in the middle of writing a large mirror leaves the cursor where it was, and the
feed read again from there brings the mirror level; runs started at once get ids of their own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from azurestore import StateStorage
from graph_sync.state.azure import TableSyncState
from tests.fakes.azurite import Azurite, unique_prefix

ROOT = Path(__file__).resolve().parents[2]
OLD = {f"{n:06}": {"Name": f"職員{n}", "Section": "情報政策課"} for n in range(0, 3000)}
NEW = {f"{n:06}": {"Name": f"職員{n}", "Section": "DX推進課"} for n in range(1500, 9000)}


async def test_a_kill_in_the_middle_of_a_full_read_loses_and_invents_nothing(azurite: Azurite) -> None:
    prefix = unique_prefix()
    state = TableSyncState(StateStorage(azurite.connection_string, prefix))
    await state.apply_changes("Staff", OLD, [], "t1", full=True)
    script = (
        "import asyncio, sys\n"
        "from azurestore import StateStorage\n"
        "from graph_sync.state.azure import TableSyncState\n"
        "from tests.graph_sync.test_shared_state import NEW\n"
        f"state = TableSyncState(StateStorage({azurite.connection_string!r}, {prefix!r}))\n"
        "print('writing', flush=True)\n"
        "asyncio.run(state.apply_changes('Staff', NEW, [], 't2', full=True))\n"
        "print('done', flush=True)\n")
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    for _ in range(400):  # killed once the old rows are gone and some new ones are written
        mirror = await state.mirror("Staff")
        if len(mirror) > 1500 and any(v["Section"] == "DX推進課" for v in mirror.values()):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the writer was never seen half way")
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.stdout.read() == ""  # it never finished
    writer.stdout.close()

    mirror = await state.mirror("Staff")
    assert await state.cursor("Staff") == "t1"  # the cursor never passed what the mirror holds
    assert set(mirror) <= set(OLD) | set(NEW)  # nothing invented
    assert all(mirror[k] in (OLD.get(k), NEW.get(k)) for k in mirror)
    await state.apply_changes("Staff", NEW, [], "t2", full=True)  # the next run reads the feed again
    assert await state.mirror("Staff") == NEW and await state.cursor("Staff") == "t2"
    await state.close()


async def test_runs_started_at_once_on_two_machines_get_ids_of_their_own(azurite: Azurite) -> None:
    prefix = unique_prefix()
    one = TableSyncState(StateStorage(azurite.connection_string, prefix))
    two = TableSyncState(StateStorage(azurite.connection_string, prefix))
    started = await asyncio.gather(*(s.start_run("nightly") for s in (one, two) * 5))
    ids = [run_id for run_id, _ in started]
    assert sorted(ids) == list(range(1, 11))
    assert [r.id for r in await one.runs(limit=10)] == list(range(10, 0, -1))
    await one.close()
    await two.close()


async def test_rows_too_large_for_one_transaction_together_are_written_in_several(azurite: Azurite) -> None:
    """100 rows of 8,000 characters of Japanese: 4.8 MB as the SDK sends them, over a
    transaction's 4 MiB although within its 100 entities."""
    state = TableSyncState(StateStorage(azurite.connection_string, unique_prefix()))
    long = {f"{n:06}": {"Note": "研修の受講記録" * 1_143} for n in range(100)}
    await state.apply_changes("CourseCompletions", long, [], "t1", full=True)
    assert await state.mirror("CourseCompletions") == long and await state.cursor("CourseCompletions") == "t1"
    await state.close()
