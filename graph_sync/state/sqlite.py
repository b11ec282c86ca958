"""The sync state in one SQLite file beside the data (DX_DATA_DIR/sync-state.sqlite3).

All SQL runs on the file's own thread (`SqliteThread`), so a 40,000-item mirror is read and
written without blocking the event loop.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping

from config.clock import Clock, iso_seconds, utc_now
from graph_sync.state.protocol import RunRecord
from liststore.sqlitedb import SqliteThread, write_transaction

_DDL = """
CREATE TABLE IF NOT EXISTS mirror (
    list TEXT NOT NULL, key TEXT NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (list, key)
);
CREATE TABLE IF NOT EXISTS cursors (
    list TEXT PRIMARY KEY, token TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS group_members (
    resource TEXT NOT NULL, group_id TEXT NOT NULL, user_id TEXT NOT NULL, staff_number TEXT NOT NULL,
    PRIMARY KEY (resource, group_id, user_id)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL, report TEXT
);
"""


_PUT_MIRROR = ("INSERT INTO mirror (list, key, fields) VALUES (?, ?, ?) "
               "ON CONFLICT (list, key) DO UPDATE SET fields = excluded.fields")
_SET_CURSOR = ("INSERT INTO cursors (list, token, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (list) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at")


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class SqliteSyncState:
    """The sync's state file; `clock` stamps cursors and runs."""

    def __init__(self, path: Path, clock: Clock = utc_now) -> None:
        self._db = SqliteThread(path, _DDL)
        self._clock = clock

    async def close(self) -> None:
        await self._db.close()

    def _now(self) -> str:
        return iso_seconds(self._clock())

    # ---- mirror and cursor ----------------------------------------------------------------

    async def cursor(self, list_name: str) -> str | None:
        row = await self._db.run(lambda db: db.execute(
            "SELECT token FROM cursors WHERE list = ?", (list_name,)).fetchone())
        return row[0] if row else None

    async def mirror(self, list_name: str) -> dict[str, Mapping[str, Any]]:
        return await self._db.run(lambda db: {key: json.loads(fields) for key, fields in db.execute(
            "SELECT key, fields FROM mirror WHERE list = ?", (list_name,))})

    async def mirror_values(self, list_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(keys)

        def read(db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
            out: dict[str, dict[str, Any]] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, fields in db.execute(
                    f"SELECT key, fields FROM mirror WHERE list = ? AND key IN ({marks})", (list_name, *chunk)
                ):
                    out[key] = json.loads(fields)
            return out

        return await self._db.run(read)

    async def apply_changes(
        self, list_name: str, changed: Mapping[str, Mapping[str, Any]], deleted: Iterable[str],
        token: str, *, full: bool,
    ) -> None:
        rows = [(list_name, k, _dumps(v)) for k, v in changed.items()]
        gone = [(list_name, k) for k in deleted]
        now = self._now()

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn) as db:
                if full:
                    db.execute("DELETE FROM mirror WHERE list = ?", (list_name,))
                db.executemany(_PUT_MIRROR, rows)
                db.executemany("DELETE FROM mirror WHERE list = ? AND key = ?", gone)
                db.execute(_SET_CURSOR, (list_name, token, now))

        await self._db.run(write)

    async def record_writes(self, list_name: str, written: Mapping[str, Mapping[str, Any]],
                            removed: Iterable[str]) -> None:
        written = dict(written)
        gone = [(list_name, k) for k in removed]

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn) as db:
                for key, fields in written.items():
                    row = db.execute("SELECT fields FROM mirror WHERE list = ? AND key = ?",
                                     (list_name, key)).fetchone()
                    merged = {**(json.loads(row[0]) if row else {}), **fields}
                    db.execute(_PUT_MIRROR, (list_name, key, _dumps(merged)))
                db.executemany("DELETE FROM mirror WHERE list = ? AND key = ?", gone)

        await self._db.run(write)

    # ---- Entra ID group membership -----------------------------------------------------------

    async def group_members(self, resource: str) -> dict[str, dict[str, str]]:
        def read(db: sqlite3.Connection) -> dict[str, dict[str, str]]:
            out: dict[str, dict[str, str]] = {}
            for gid, uid, number in db.execute(
                "SELECT group_id, user_id, staff_number FROM group_members WHERE resource = ?", (resource,)
            ):
                out.setdefault(gid, {})[uid] = number
            return out

        return await self._db.run(read)

    async def save_group_members(self, resource: str, members: Mapping[str, Mapping[str, str]],
                                 token: str) -> None:
        rows = [(resource, g, u, n) for g, users in members.items() for u, n in users.items()]
        now = self._now()

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn) as db:
                db.execute("DELETE FROM group_members WHERE resource = ?", (resource,))
                db.executemany(
                    "INSERT INTO group_members (resource, group_id, user_id, staff_number) "
                    "VALUES (?, ?, ?, ?)", rows)
                db.execute(_SET_CURSOR, (f"entra:{resource}", token, now))

        await self._db.run(write)

    # ---- runs --------------------------------------------------------------------------------

    async def start_run(self, job: str) -> tuple[int, list[RunRecord]]:
        now = self._now()

        def write(conn: sqlite3.Connection) -> tuple[int, list[RunRecord]]:
            with write_transaction(conn) as db:
                unfinished = [r for r in _runs(db, 50) if r.status == "running"]
                db.executemany("UPDATE runs SET status = 'interrupted' WHERE id = ?",
                               [(r.id,) for r in unfinished])
                cur = db.execute("INSERT INTO runs (job, started_at, status) VALUES (?, ?, 'running')",
                                 (job, now))
                return int(cur.lastrowid or 0), unfinished

        return await self._db.run(write)

    async def finish_run(self, run_id: int, status: str, report: Mapping[str, Any]) -> None:
        args = (self._now(), status, json.dumps(report, ensure_ascii=False), run_id)
        await self._db.run(lambda db: db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, report = ? WHERE id = ? AND status = 'running'", args))

    async def runs(self, limit: int = 10) -> list[RunRecord]:
        return await self._db.run(lambda db: _runs(db, limit))


def _runs(db: sqlite3.Connection, limit: int) -> list[RunRecord]:
    rows = db.execute(
        "SELECT id, job, started_at, finished_at, status, report FROM runs ORDER BY id DESC LIMIT ?",
        (limit,)).fetchall()
    return [RunRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None) for r in rows]
