"""The run lock's contract, on the file lock, the in-memory twin and a blob lease in Azure Storage
(Azurite): one holder at a time, the next one in after release, and the holder named while it
holds; a holder that dies frees the lock."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from azure.storage.blob.aio import BlobLeaseClient

from azurestore import StateStorage
from azurestore.lease import BlobLeaseLock
from graph_sync.lock import (
    Busy,
    FileRunLock,
    LockLost,
    MemoryLocks,
    MemoryRunLock,
    RunLock,
    held,
    watching,
)
from tests.fakes.azurite import Azurite, AzuriteProcess, unique_prefix

Opener = Callable[[], RunLock]


@pytest.fixture(params=["file", "memory", "azure"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """A fresh handle on the same lock each call, as another process (or machine) would hold."""
    if request.param == "file":
        return lambda: FileRunLock(tmp_path / "locks")
    if request.param == "azure":
        connection, prefix = request.getfixturevalue("azurite").connection_string, unique_prefix()
        return lambda: BlobLeaseLock(connection, prefix)
    shared = MemoryLocks()
    return lambda: MemoryRunLock(shared)


async def test_one_holder_at_a_time(opener: Opener) -> None:
    first, second = opener(), opener()
    assert await first.acquire()
    assert not await second.acquire()
    assert not await first.acquire()  # not re-entrant: a second run in this process waits too
    await first.release()
    assert await second.acquire()
    await second.release()


async def test_releasing_what_is_not_held_lets_nobody_in(opener: Opener) -> None:
    holder, other = opener(), opener()
    assert await holder.acquire()
    await other.release()  # someone else's release must not free the holder's lock
    assert not await opener().acquire()
    await holder.release()
    await holder.release()  # twice is harmless


async def test_nobody_is_named_once_the_lock_is_free(opener: Opener) -> None:
    lock = opener()
    assert await lock.acquire()
    assert await opener().holder() not in ("", "?")
    await lock.release()
    assert await opener().holder() == "?"


async def test_held_names_the_holder_when_busy(opener: Opener) -> None:
    async with held(opener()):
        with pytest.raises(Busy) as busy:
            async with held(opener()):
                pass  # pragma: no cover - never entered
        assert busy.value.holder not in ("", "?")
    async with held(opener()):  # released on the way out
        pass


def die_holding(lock: str) -> None:
    """Run a process that takes the lock `lock` (Python that builds it) and dies holding it."""
    script = ("import asyncio, os; from pathlib import Path; from graph_sync.lock import FileRunLock\n"
              "from azurestore.lease import BlobLeaseLock\n"
              f"lock = {lock}\n"
              "assert asyncio.run(lock.acquire())\n"
              "print('held', flush=True); os._exit(0)  # dies without releasing\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "held", done.stderr


async def test_a_file_lock_is_freed_when_its_process_dies(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    die_holding(f"FileRunLock(Path({str(folder)!r}))")
    lock = FileRunLock(folder)
    assert await lock.acquire()
    await lock.release()


async def test_a_lease_lasts_while_its_holder_lives_and_ends_with_it(azurite: Azurite) -> None:
    """Two leases of 15 seconds: one held by this process (renewed in the background), one by a
    process that dies holding it. The first is still held after 20 seconds; the second frees."""
    living, dead = unique_prefix(), unique_prefix()
    holder = BlobLeaseLock(azurite.connection_string, living, seconds=15)
    assert await holder.acquire()
    die_holding(f"BlobLeaseLock({azurite.connection_string!r}, {dead!r}, seconds=15)")
    orphan = BlobLeaseLock(azurite.connection_string, dead, seconds=15)
    assert not await orphan.acquire() and (await orphan.holder()).startswith("pid ")
    for _ in range(40):  # the dead holder's lease runs out within its 15 seconds
        if await orphan.acquire():
            break
        await asyncio.sleep(0.5)
    else:
        pytest.fail("the lease of a dead holder was never freed")
    await asyncio.sleep(5)  # 20 seconds and more since `holder` took its lease
    assert not await BlobLeaseLock(azurite.connection_string, living, seconds=15).acquire()
    await holder.release()
    await orphan.release()


async def test_a_run_whose_lock_is_lost_stops_at_once(opener: Opener) -> None:
    for taken in ("held", "by hand, as the scheduler takes it"):
        lock, wrote = opener(), []

        async def run() -> None:
            lock.lost.set()  # as a renewal that finds the lease gone would
            await asyncio.sleep(30)
            wrote.append("kept writing")  # pragma: no cover - never reached

        with pytest.raises(LockLost):
            if taken == "held":
                async with held(lock), watching(lock):
                    await run()
            else:
                assert await lock.acquire()
                try:
                    async with watching(lock):
                        await run()
                finally:
                    await lock.release()
        assert wrote == []
        other = opener()
        assert await other.acquire()  # released on the way out
        await other.release()


async def test_a_lease_taken_from_its_holder_stops_its_run(azurite: Azurite, caplog: pytest.LogCaptureFixture) -> None:
    prefix = unique_prefix()
    holder = BlobLeaseLock(azurite.connection_string, prefix, seconds=15)
    storage = StateStorage(azurite.connection_string, prefix)
    thief = BlobLeaseLock(azurite.connection_string, prefix, seconds=15)
    with pytest.raises(LockLost):
        async with held(holder), watching(holder):
            blob = (await storage.container("locks")).get_blob_client("sync")
            await BlobLeaseClient(blob).break_lease(lease_break_period=0)  # an operator broke it by hand
            assert await thief.acquire()
            await asyncio.sleep(30)  # the run goes on until the next renewal finds the lease gone
    assert [r.levelname for r in caplog.records if "the lease was lost" in r.getMessage()] == ["ERROR"]
    assert (await thief.holder()).startswith("pid ")  # the holder's release took nothing from the thief
    await thief.release()
    await storage.close()


async def test_a_holder_that_cannot_reach_storage_stops_before_its_lease_runs_out() -> None:
    """Storage out of reach (here: its emulator stopped): no renewal succeeds, and the run stops
    within two thirds of the lease, before another worker could take it."""
    own = AzuriteProcess()
    holder = BlobLeaseLock(own.azurite.connection_string, unique_prefix(), seconds=15)
    assert await holder.acquire()
    started = asyncio.get_running_loop().time()
    with pytest.raises(LockLost):
        async with watching(holder):
            own.stop()
            await asyncio.sleep(30)
    assert asyncio.get_running_loop().time() - started < 15
    await holder.release()  # nothing to reach: said, not raised
