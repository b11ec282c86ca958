"""The SharePoint store's key → item-id map and delta token, kept on disk between runs.

With it, a new process knows which keys exist without listing a 40,000-item list: one delta
call with the saved token brings the map up to date. SharePoint never reuses item ids, so rows
are never removed, only marked gone; that is also how a deletion reported by id alone (in the
delta feed, perhaps months later) is still traced to its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from liststore.sqlitedb import connect, write_transaction

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


class KeyIndexFile:
    """One small SQLite file in DX_DATA_DIR; every call is a short transaction."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path, check_same_thread=False)
        self._conn.executescript(_DDL)

    def load(self, site_id: str, list_id: str) -> SavedIndex:
        saved = SavedIndex()
        row = self._conn.execute("SELECT token FROM lists WHERE site_id = ? AND list_id = ?",
                                 (site_id, list_id)).fetchone()
        if row is None:
            return saved
        saved.token = row[0]
        for item_id, key, etag, live in self._conn.execute(
            "SELECT item_id, key, etag, live FROM entries WHERE site_id = ? AND list_id = ?",
            (site_id, list_id),
        ):
            saved.by_id[item_id] = key
            if live:
                saved.live[key] = (item_id, etag)
        return saved

    def save(self, site_id: str, list_id: str, token: str | None,
             entries: Iterable[tuple[str, str, str, bool]], *, replace: bool = False) -> None:
        """Write (item id, key, etag, live) rows; `replace` marks every other row gone first."""
        with write_transaction(self._conn) as db:
            if replace:
                db.execute("UPDATE entries SET live = 0 WHERE site_id = ? AND list_id = ?",
                           (site_id, list_id))
            db.executemany(
                "INSERT INTO entries (site_id, list_id, item_id, key, etag, live) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (site_id, list_id, item_id) DO UPDATE SET key = excluded.key, "
                "etag = excluded.etag, live = excluded.live",
                [(site_id, list_id, i, k, e, int(live)) for i, k, e, live in entries],
            )
            db.execute(
                "INSERT INTO lists (site_id, list_id, token) VALUES (?, ?, ?) "
                "ON CONFLICT (site_id, list_id) DO UPDATE SET token = COALESCE(excluded.token, token)",
                (site_id, list_id, token),
            )

    def close(self) -> None:
        self._conn.close()
