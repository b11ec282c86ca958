"""The sync worker's own state: a mirror of each list, change cursors and run reports.

Why a mirror: planning needs the target's current values, and listing 40,000 items every night
is what the sync must not do. The mirror holds the sync-owned columns of every item as last
seen; a run brings it up to date from the store's change feed (delta) since the saved cursor,
plans against it, and records what landed. Checkpoint rules (as dlt's pipelines keep them):

- the cursor advances only after the mirror holds everything the feed returned up to it;
- a write updates the mirror only after the store confirmed it;
- a run killed anywhere leaves the mirror behind reality, never ahead of it, so the next run's
  feed read brings it level and planning again writes only what is still missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from liststore.sqlitedb import connect, write_transaction

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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as `dx-sync status` shows it."""

    id: int
    job: str
    started_at: str
    finished_at: str | None
    status: str  # running | ok | failed | stopped | interrupted
    report: dict[str, Any] | None


class SyncState:
    """A SQLite file next to the data (DX_DATA_DIR/sync-state.sqlite3)."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._conn.executescript(_DDL)

    def close(self) -> None:
        self._conn.close()

    # ---- mirror and cursor ----------------------------------------------------------------

    def cursor(self, list_name: str) -> str | None:
        """The change token the mirror of `list_name` is level with."""
        row = self._conn.execute("SELECT token FROM cursors WHERE list = ?", (list_name,)).fetchone()
        return row[0] if row else None

    def mirror(self, list_name: str) -> dict[str, Mapping[str, Any]]:
        """The sync-owned values of every item, as last seen."""
        return {key: json.loads(fields) for key, fields in self._conn.execute(
            "SELECT key, fields FROM mirror WHERE list = ?", (list_name,))}

    def mirror_values(self, list_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The mirrored values of just these keys (those the mirror has)."""
        out: dict[str, dict[str, Any]] = {}
        wanted = list(keys)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, fields in self._conn.execute(
                f"SELECT key, fields FROM mirror WHERE list = ? AND key IN ({marks})", (list_name, *chunk)
            ):
                out[key] = json.loads(fields)
        return out

    def apply_changes(
        self, list_name: str, changed: Mapping[str, Mapping[str, Any]], deleted: Iterable[str],
        token: str, *, full: bool,
    ) -> None:
        """Fold a change feed into the mirror and move the cursor, in one transaction."""
        with write_transaction(self._conn) as db:
            if full:
                db.execute("DELETE FROM mirror WHERE list = ?", (list_name,))
            db.executemany(
                _PUT_MIRROR,
                [(list_name, k, json.dumps(v, ensure_ascii=False, sort_keys=True)) for k, v in changed.items()],
            )
            db.executemany("DELETE FROM mirror WHERE list = ? AND key = ?",
                           [(list_name, k) for k in deleted])
            db.execute(
                _SET_CURSOR,
                (list_name, token, _now()),
            )

    def record_writes(self, list_name: str, written: Mapping[str, Mapping[str, Any]],
                      removed: Iterable[str]) -> None:
        """Writes the store confirmed: merge them into the mirror (the cursor stays put)."""
        with write_transaction(self._conn) as db:
            for key, fields in written.items():
                row = db.execute("SELECT fields FROM mirror WHERE list = ? AND key = ?",
                                 (list_name, key)).fetchone()
                merged = {**(json.loads(row[0]) if row else {}), **fields}
                db.execute(
                    _PUT_MIRROR,
                    (list_name, key, json.dumps(merged, ensure_ascii=False, sort_keys=True)),
                )
            db.executemany("DELETE FROM mirror WHERE list = ? AND key = ?",
                           [(list_name, k) for k in removed])

    # ---- Entra ID group membership -----------------------------------------------------------

    def group_members(self, resource: str) -> dict[str, dict[str, str]]:
        """group id -> {user id -> staff number ("" when unknown)} as last read."""
        out: dict[str, dict[str, str]] = {}
        for gid, uid, number in self._conn.execute(
            "SELECT group_id, user_id, staff_number FROM group_members WHERE resource = ?", (resource,)
        ):
            out.setdefault(gid, {})[uid] = number
        return out

    def save_group_members(self, resource: str, members: Mapping[str, Mapping[str, str]],
                           token: str) -> None:
        """Replace the membership of `resource` and its delta cursor, in one transaction."""
        with write_transaction(self._conn) as db:
            db.execute("DELETE FROM group_members WHERE resource = ?", (resource,))
            db.executemany(
                "INSERT INTO group_members (resource, group_id, user_id, staff_number) VALUES (?, ?, ?, ?)",
                [(resource, g, u, n) for g, users in members.items() for u, n in users.items()],
            )
            db.execute(
                _SET_CURSOR,
                (f"entra:{resource}", token, _now()),
            )

    # ---- runs --------------------------------------------------------------------------------

    def start_run(self, job: str) -> tuple[int, list[RunRecord]]:
        """Record a new run; also return earlier runs that never finished (killed or crashed)."""
        unfinished = [r for r in self.runs(limit=50) if r.status == "running"]
        db = self._conn
        for r in unfinished:
            db.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?", (r.id,))
        cur = db.execute("INSERT INTO runs (job, started_at, status) VALUES (?, ?, 'running')",
                         (job, _now()))
        return int(cur.lastrowid or 0), unfinished

    def finish_run(self, run_id: int, status: str, report: Mapping[str, Any]) -> None:
        self._conn.execute("UPDATE runs SET finished_at = ?, status = ?, report = ? WHERE id = ?",
                           (_now(), status, json.dumps(report, ensure_ascii=False), run_id))

    def runs(self, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        rows = self._conn.execute(
            "SELECT id, job, started_at, finished_at, status, report FROM runs ORDER BY id DESC LIMIT ?",
            (limit,)).fetchall()
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None) for r in rows]
