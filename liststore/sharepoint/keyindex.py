"""The SharePoint store's key → item-id map and delta token, kept on disk between runs.

With it, a new process knows which keys exist without listing a 40,000-item list: one delta
call with the saved token brings the map up to date. SharePoint never reuses item ids, so rows
are never removed, only marked gone; that is also how a deletion reported by id alone (in the
delta feed, perhaps months later) is still traced to its key.

`KeyIndex` is the interface; `SqliteKeyIndex` keeps it in DX_DATA_DIR and `MemoryKeyIndex` is
the twin for tests. Both pass tests/liststore/test_keyindex_contract.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from liststore.sqlitedb import SqliteThread, write_transaction

_DDL = """
CREATE TABLE IF NOT EXISTS lists (
    site_id TEXT NOT NULL, list_id TEXT NOT NULL, token TEXT,
    PRIMARY KEY (site_id, list_id)
);
CREATE TABLE IF NOT EXISTS entries (
    site_id TEXT NOT NULL, list_id TEXT NOT NULL, item_id TEXT NOT NULL,
    key TEXT NOT NULL, etag TEXT NOT NULL, live INTEGER NOT NULL,
    PRIMARY KEY (site_id, list_id, item_id)
);
"""


@dataclass
class SavedIndex:
    """What was saved for one list."""

    token: str | None = None
    live: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (item id, etag)
    by_id: dict[str, str] = field(default_factory=dict)  # item id -> key, gone ones included


Entry = tuple[str, str, str, bool]  # (item id, key, etag, live)


class KeyIndex(Protocol):
    """Where the map is kept between runs."""

    async def load(self, site_id: str, list_id: str) -> SavedIndex:
        """What was saved for the list (empty, token None, when nothing was)."""
        ...

    async def save(self, site_id: str, list_id: str, token: str | None, entries: Iterable[Entry],
                   *, replace: bool = False) -> None:
        """Write entries and the token (None keeps the saved token), together; `replace` marks
        every other entry of the list gone first."""
        ...

    async def close(self) -> None:
        ...


class MemoryKeyIndex:
    """The in-memory twin."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str | None] = {}
        self._entries: dict[tuple[str, str], dict[str, tuple[str, str, bool]]] = {}

    async def load(self, site_id: str, list_id: str) -> SavedIndex:
        saved = SavedIndex()
        if (site_id, list_id) not in self._tokens:
            return saved
        saved.token = self._tokens[(site_id, list_id)]
        for item_id, (key, etag, live) in self._entries.get((site_id, list_id), {}).items():
            saved.by_id[item_id] = key
            if live:
                saved.live[key] = (item_id, etag)
        return saved

    async def save(self, site_id: str, list_id: str, token: str | None, entries: Iterable[Entry],
                   *, replace: bool = False) -> None:
        rows = dict(self._entries.get((site_id, list_id), {}))
        if replace:
            rows = {i: (k, e, False) for i, (k, e, _) in rows.items()}
        rows.update({i: (k, e, live) for i, k, e, live in entries})
        self._entries[(site_id, list_id)] = rows
        self._tokens[(site_id, list_id)] = token if token is not None else self._tokens.get((site_id, list_id))

    async def close(self) -> None:
        """Nothing to release."""


class SqliteKeyIndex:
    """One small SQLite file in DX_DATA_DIR; every save is one transaction."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteThread(path, _DDL)

    async def load(self, site_id: str, list_id: str) -> SavedIndex:
        def read(db: sqlite3.Connection) -> SavedIndex:
            saved = SavedIndex()
            row = db.execute("SELECT token FROM lists WHERE site_id = ? AND list_id = ?",
                             (site_id, list_id)).fetchone()
            if row is None:
                return saved
            saved.token = row[0]
            for item_id, key, etag, live in db.execute(
                "SELECT item_id, key, etag, live FROM entries WHERE site_id = ? AND list_id = ?",
                (site_id, list_id),
            ):
                saved.by_id[item_id] = key
                if live:
                    saved.live[key] = (item_id, etag)
            return saved

        return await self._db.run(read)

    async def save(self, site_id: str, list_id: str, token: str | None, entries: Iterable[Entry],
                   *, replace: bool = False) -> None:
        rows = [(site_id, list_id, i, k, e, int(live)) for i, k, e, live in entries]

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn) as db:
                if replace:
                    db.execute("UPDATE entries SET live = 0 WHERE site_id = ? AND list_id = ?",
                               (site_id, list_id))
                db.executemany(
                    "INSERT INTO entries (site_id, list_id, item_id, key, etag, live) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (site_id, list_id, item_id) DO UPDATE SET key = excluded.key, "
                    "etag = excluded.etag, live = excluded.live", rows)
                db.execute(
                    "INSERT INTO lists (site_id, list_id, token) VALUES (?, ?, ?) "
                    "ON CONFLICT (site_id, list_id) DO UPDATE SET token = COALESCE(excluded.token, token)",
                    (site_id, list_id, token),
                )

        await self._db.run(write)

    async def close(self) -> None:
        await self._db.close()
