"""SQLite as every local file of the product uses it: WAL, a busy timeout, short write transactions."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL journal, waiting (not failing) on another writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    # Another process holding the write lock makes us wait, not fail.
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE: take the write lock up front, so a second process waits (busy timeout)
    instead of failing halfway through; roll back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


T = TypeVar("T")


class SqliteThread:
    """One connection confined to one thread, for async code.

    Every call runs on that thread in order, so the event loop never blocks on the disk, the
    connection is never shared between threads, and calls from concurrent tasks are serialised
    without a lock of their own.
    """

    def __init__(self, path: Path, ddl: str = "") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.stem}")
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._pool.submit(self._open, path).result()
        if ddl:
            self.create(ddl)

    def _open(self, path: Path) -> None:
        self._conn = connect(path)

    def create(self, ddl: str) -> None:
        """Create tables (idempotent DDL), waiting for it: for constructors, before any await."""
        self._pool.submit(self._call, lambda db: db.executescript(ddl)).result()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(connection)` on the connection's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise RuntimeError("the state file is closed")
        return fn(self._conn)

    async def close(self) -> None:
        """Close the connection after the work already queued; closing twice is harmless."""
        if self._closed:
            return
        self._closed = True

        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._pool, shut)
        self._pool.shutdown(wait=True)
