"""One sync run per data directory at a time, across processes."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunLock:
    """An exclusive, non-blocking lock file; the OS releases it if the process dies.

    `dx-sync run`, `dx-sync plan` and every job of `dx-sync schedule` take the same lock, so
    two of them never read the change feed or write the lists at once (a second run would
    replan against a half-written list and rewrite what the first had just written).
    """

    def __init__(self, folder: Path, name: str = "sync") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{name}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock, or False at once when another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The process id written by whoever holds the lock ('?' when unknown)."""
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        """Let the next run in."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
