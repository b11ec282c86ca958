"""The run lock's contract, on the file lock and the in-memory twin: one holder at a time, the
next one in after release, and the holder named while it holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from graph_sync.lock import Busy, FileRunLock, MemoryLocks, MemoryRunLock, RunLock, held

Opener = Callable[[], RunLock]


@pytest.fixture(params=["file", "memory"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """A fresh handle on the same lock each call, as another process (or machine) would hold."""
    if request.param == "file":
        return lambda: FileRunLock(tmp_path / "locks")
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


async def test_a_file_lock_is_freed_when_its_process_dies(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    script = ("import asyncio, os, sys; from pathlib import Path; from graph_sync.lock import FileRunLock\n"
              f"lock = FileRunLock(Path({str(folder)!r}))\n"
              "assert asyncio.run(lock.acquire())\n"
              "print('held', flush=True); os._exit(0)  # dies without releasing\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "held", done.stderr
    lock = FileRunLock(folder)
    assert await lock.acquire()
    await lock.release()
