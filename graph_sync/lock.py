"""One sync run per data directory at a time, across processes.

`dx-sync run`, `dx-sync plan` and every job of `dx-sync schedule` take the same lock, so two of
them never read the change feed or write the lists at once (a second run would replan against
a half-written list and rewrite what the first had just written).

`RunLock` is the interface: a non-blocking try, who holds it, and release. `FileRunLock` is an
fcntl lock file in the data directory (the OS releases it if the process dies);
`MemoryRunLock` is the twin for tests, its instances excluding each other through the
`MemoryLocks` they share; `azurestore.lease.BlobLeaseLock` is a blob lease, which excludes runs on
several machines. All pass one contract suite, tests/graph_sync/test_lock_contract.py.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Protocol


class RunLock(Protocol):
    """An exclusive lock for one sync run."""

    async def acquire(self) -> bool:
        """Take the lock, or False at once when someone else holds it."""
        ...

    async def holder(self) -> str:
        """Who holds the lock, as the holder wrote it ('?' when unknown)."""
        ...

    async def release(self) -> None:
        """Let the next run in; harmless when not held."""
        ...

    @property
    def lost(self) -> asyncio.Event:
        """Set when the lock was taken away while held (a lease that could not be renewed in
        time); a file lock is never lost while its process lives."""
        ...


class Busy(Exception):
    """Another run holds the lock."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"another sync run ({holder}) holds the lock")
        self.holder = holder


class LockLost(Exception):
    """The run lock was taken away mid-run: the run stopped, as if killed, so that two never write
    at once; the next run completes its work."""

    def __init__(self) -> None:
        super().__init__("the sync run lock was lost (its lease could not be renewed); the run stopped")


@asynccontextmanager
async def held(lock: RunLock) -> AsyncIterator[None]:
    """Hold `lock` for the block, or raise Busy naming the holder."""
    if not await lock.acquire():
        raise Busy(await lock.holder())
    try:
        yield
    finally:
        await lock.release()


@asynccontextmanager
async def watching(lock: RunLock | None) -> AsyncIterator[None]:
    """Stop the block with LockLost if `lock` (held) is lost meanwhile: its task is cancelled at
    once, as a kill would stop it. A cancel from elsewhere stays a cancel."""
    task = asyncio.current_task()
    if lock is None or task is None:
        yield
        return
    fired = asyncio.Event()

    async def stop_when_lost() -> None:
        await lock.lost.wait()
        fired.set()
        task.cancel()

    watcher = asyncio.create_task(stop_when_lost())
    try:
        yield
    except asyncio.CancelledError:
        if fired.is_set() and task.uncancel() == 0:
            raise LockLost() from None
        raise  # cancelled from elsewhere too (Ctrl-C): that wins
    finally:
        watcher.cancel()


class FileRunLock:
    """An exclusive, non-blocking lock file holding the holder's process id."""

    def __init__(self, folder: Path, name: str = "sync") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{name}.lock"
        self._fd: int | None = None
        self.lost = asyncio.Event()  # never set: the OS keeps the lock as long as the process lives

    async def acquire(self) -> bool:
        if self._fd is not None:
            return False  # held by this very object: a second holder, even here, must wait
        self.lost.clear()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    async def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # nobody holds it now
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class MemoryLocks:
    """Who holds which lock, for `MemoryRunLock`s that should exclude each other."""

    holders: dict[str, str] = field(default_factory=dict)
    guard: asyncio.Lock = field(default_factory=asyncio.Lock)


class MemoryRunLock:
    """The in-memory twin: instances over the same `MemoryLocks` exclude each other."""

    def __init__(self, locks: MemoryLocks, name: str = "sync", who: str = "memory") -> None:
        self._locks, self._name, self._who = locks, name, who
        self._held = False
        self.lost = asyncio.Event()  # set by a test that takes the lock away

    async def acquire(self) -> bool:
        async with self._locks.guard:
            if self._name in self._locks.holders:
                return False
            self.lost.clear()
            self._locks.holders[self._name] = self._who
            self._held = True
            return True

    async def holder(self) -> str:
        return self._locks.holders.get(self._name, "?")

    async def release(self) -> None:
        async with self._locks.guard:
            if self._held:
                self._locks.holders.pop(self._name, None)
                self._held = False
