"""SQLite ListStore: the embedded default, one real file shared by the bot and the sync worker.

WAL mode lets readers work while a writer commits, and every write runs inside
`BEGIN IMMEDIATE`, so two processes (the bot and a sync run) serialise their writes instead of
failing halfway. All SQLite calls of one store run on its own single worker thread, so the event
loop never blocks on disk and the connection is only ever used by the thread that opened it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence, TypeVar

from config.schema import ColumnSpec, ListSpec, spec_from_dict, spec_to_dict
from liststore.errors import NotProvisionedError, PermanentError, TransientError
from liststore.model import ChangeSet, Item, Outcome, SchemaReport, Upsert, WriteResult
from liststore.protocol import DEFAULT_PAGE_SIZE
from liststore.rules import (
    check_queryable,
    choices_to_add,
    compare_schema,
    effective_spec,
    make_change_token,
    merge_upsert,
    parse_change_token,
    query_value,
    schema_report,
)
from liststore.sqlitedb import connect, write_transaction

T = TypeVar("T")

_DDL = """
CREATE TABLE IF NOT EXISTS lists (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    list TEXT NOT NULL,
    key TEXT NOT NULL,
    fields TEXT NOT NULL,
    version INTEGER NOT NULL,
    modified TEXT NOT NULL,
    UNIQUE (list, key)
);
CREATE INDEX IF NOT EXISTS items_by_version ON items (list, version);
CREATE TABLE IF NOT EXISTS tombstones (
    list TEXT NOT NULL,
    key TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_by_version ON tombstones (list, version);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('version', 0);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('instance', lower(hex(randomblob(16))));
"""

# Rows per executemany when writing; keeps each transaction short for the other process.
_WRITE_CHUNK = 500


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _index_name(list_name: str, column: str) -> str:
    return f"ix_{list_name}_{column}"


class SqliteListStore:
    """Lists in one SQLite file; same semantics as the memory and SharePoint stores."""

    def __init__(self, path: Path, clock: Callable[[], str] = _utc_now) -> None:
        self._path = path
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._conn: sqlite3.Connection | None = None
        self._specs: dict[str, ListSpec] = {}

    # ---- plumbing ------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path, clock: Callable[[], str] = _utc_now) -> "SqliteListStore":
        """Open (creating if needed) the database at `path`."""
        store = cls(path, clock)
        await store._run(store._connect)
        return store

    def _connect(self) -> None:
        conn = connect(self._path, check_same_thread=False)
        conn.executescript(_DDL)
        # Identifies this database in change tokens, so a token from another file is refused.
        self._instance = conn.execute("SELECT value FROM meta WHERE name = 'instance'").fetchone()[0]
        self._conn = conn

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TransientError(f"SQLite store busy: {exc}", retry_after=1.0) from exc
            raise PermanentError(f"SQLite store: {exc}") from exc

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("store is closed")
        return self._conn

    def _spec(self, name: str) -> ListSpec:
        spec = self._specs.get(name)
        if spec is None:
            row = self._db.execute("SELECT spec FROM lists WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotProvisionedError(name)
            spec = spec_from_dict(json.loads(row[0]))
            self._specs[name] = spec
        return spec

    @staticmethod
    def _item(row: tuple[Any, ...]) -> Item:
        item_id, key, fields, version, modified = row
        return Item(key, json.loads(fields), str(item_id), f'"{item_id},{version}"', modified)

    async def _chunked(self, fn: Callable[[str, Sequence[T]], list[WriteResult]], list_name: str,
                       values: Sequence[T]) -> list[WriteResult]:
        """Run `fn` on slices of `values`; each slice is one short transaction."""
        results: list[WriteResult] = []
        for start in range(0, len(values), _WRITE_CHUNK):
            results.extend(await self._run(fn, list_name, values[start : start + _WRITE_CHUNK]))
        return results

    def _current_version(self) -> int:
        (value,) = self._db.execute("SELECT value FROM counters WHERE name = 'version'").fetchone()
        return value

    def _save_version(self, value: int) -> None:
        self._db.execute("UPDATE counters SET value = ? WHERE name = 'version'", (value,))

    # ---- schema --------------------------------------------------------------------------

    async def ensure_list(self, spec: ListSpec) -> SchemaReport:
        """Create the list, its columns and expression indexes; never drop anything."""
        return await self._run(self._ensure_list, spec)

    def _ensure_list(self, spec: ListSpec) -> SchemaReport:
        with write_transaction(self._db) as db:
            row = db.execute("SELECT spec FROM lists WHERE name = ?", (spec.name,)).fetchone()
            if row is None:
                created, added = True, list(spec.columns)
                indexed: list[ColumnSpec] = []
                drift: list[str] = []
                extended: list[ColumnSpec] = []
                effective = spec
                db.execute(
                    "INSERT INTO lists (name, spec, created_at) VALUES (?, ?, ?)",
                    (spec.name, json.dumps(spec_to_dict(spec), ensure_ascii=False), self._clock()),
                )
            else:
                existing = {c.name: c for c in spec_from_dict(json.loads(row[0])).columns}
                created = False
                added, indexed, drift = compare_schema(spec, existing)
                extended = choices_to_add(spec, existing)
                effective = effective_spec(spec, existing)
                db.execute(
                    "UPDATE lists SET spec = ? WHERE name = ?",
                    (json.dumps(spec_to_dict(effective), ensure_ascii=False), spec.name),
                )
            for column in effective.columns:
                if column.indexed:
                    self._create_index(spec.name, column)
        self._specs[spec.name] = effective
        return schema_report(spec, created, added, indexed, drift, extended)

    def _create_index(self, list_name: str, column: ColumnSpec) -> None:
        # A partial expression index per indexed column, so filters stay fast at 40,000+ items
        # and a write to one list never computes the index entries of the others. Names are
        # validated ASCII identifiers (config.schema), so inlining them here is safe.
        self._db.execute(
            f'CREATE INDEX IF NOT EXISTS "{_index_name(list_name, column.name)}" '
            f"ON items (json_extract(fields, '$.{column.name}')) WHERE list = '{list_name}'"
        )

    # ---- reads ---------------------------------------------------------------------------

    async def spec(self, list_name: str) -> ListSpec:
        """The list's shape as it really is."""
        return await self._run(self._spec, list_name)

    async def get(self, list_name: str, key: str) -> Item | None:
        """The item with this key, or None."""
        return await self._run(self._get, list_name, key)

    def _get(self, list_name: str, key: str) -> Item | None:
        self._spec(list_name)
        row = self._db.execute(
            "SELECT id, key, fields, version, modified FROM items WHERE list = ? AND key = ?",
            (list_name, key),
        ).fetchone()
        return self._item(row) if row else None

    async def query(self, list_name: str, column: str, value: Any) -> list[Item]:
        """Items whose indexed column equals value, in creation order."""
        return await self._run(self._query, list_name, column, value)

    def _query(self, list_name: str, column: str, value: Any) -> list[Item]:
        spec = self._spec(list_name)  # raises unless list_name is a provisioned identifier
        col = check_queryable(spec, column)
        wanted = query_value(col, value)
        params: tuple[Any, ...]
        if wanted is None:
            sql_filter, params = f"json_extract(fields, '$.{col.name}') IS NULL", ()
        else:
            sql_filter, params = f"json_extract(fields, '$.{col.name}') = ?", (wanted,)
        # The list name is a literal, not a parameter: SQLite only uses a partial index when
        # it can see at prepare time that the query implies the index's WHERE clause.
        rows = self._db.execute(
            "SELECT id, key, fields, version, modified FROM items "
            f"WHERE list = '{spec.name}' AND {sql_filter} ORDER BY id",
            params,
        ).fetchall()
        return [self._item(r) for r in rows]

    async def pages(
        self, list_name: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[list[Item]]:
        """Every item in creation order; keyset paging, so concurrent writes never skip rows."""
        after = 0
        while True:
            page = await self._run(self._page, list_name, after, page_size)
            if not page:
                return
            yield page
            if len(page) < page_size:
                return
            after = int(page[-1].item_id)

    def _page(self, list_name: str, after: int, size: int) -> list[Item]:
        self._spec(list_name)
        rows = self._db.execute(
            "SELECT id, key, fields, version, modified FROM items "
            "WHERE list = ? AND id > ? ORDER BY id LIMIT ?",
            (list_name, after, size),
        ).fetchall()
        return [self._item(r) for r in rows]

    async def count(self, list_name: str) -> int:
        """How many items the list holds."""
        return await self._run(self._count, list_name)

    def _count(self, list_name: str) -> int:
        self._spec(list_name)
        (n,) = self._db.execute("SELECT count(*) FROM items WHERE list = ?", (list_name,)).fetchone()
        return n

    # ---- writes --------------------------------------------------------------------------

    async def upsert(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create or update each row by key; each chunk is one transaction."""
        return await self._chunked(self._upsert, list_name, rows)

    async def create(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create each row whose key is not taken; each chunk is one transaction (BEGIN
        IMMEDIATE: another process creating the same key waits, then finds it taken)."""
        return await self._chunked(self._create, list_name, rows)

    def _create(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        return self._upsert(list_name, rows, create_only=True)

    def _upsert(self, list_name: str, rows: Sequence[Upsert], *, create_only: bool = False) -> list[WriteResult]:
        spec = self._spec(list_name)
        with write_transaction(self._db) as db:
            # Inside BEGIN IMMEDIATE no other writer can move the counter: allocate locally.
            version = self._current_version()
            results = []
            for row in rows:
                found = db.execute(
                    "SELECT id, key, fields, version, modified FROM items WHERE list = ? AND key = ?",
                    (list_name, row.key),
                ).fetchone()
                existing = self._item(found) if found else None
                if create_only and existing is not None:
                    results.append(WriteResult(row.key, Outcome.EXISTS, existing.item_id, existing.etag,
                                               error=f"{row.key} exists"))
                    continue
                fields, failure = merge_upsert(spec, existing, row)
                if failure is not None:
                    results.append(failure)
                    continue
                version += 1
                body = json.dumps(fields, ensure_ascii=False, sort_keys=True)
                now = self._clock()
                if existing is None:
                    item_id = db.execute(
                        "INSERT INTO items (list, key, fields, version, modified) "
                        "VALUES (?, ?, ?, ?, ?) RETURNING id",
                        (list_name, row.key, body, version, now),
                    ).fetchone()[0]
                    outcome = Outcome.CREATED
                else:
                    item_id = int(existing.item_id)
                    db.execute(
                        "UPDATE items SET fields = ?, version = ?, modified = ? WHERE id = ?",
                        (body, version, now, item_id),
                    )
                    outcome = Outcome.UPDATED
                results.append(WriteResult(row.key, outcome, str(item_id), f'"{item_id},{version}"'))
            self._save_version(version)
        return results

    async def delete(self, list_name: str, keys: Sequence[str]) -> list[WriteResult]:
        """Delete by key, leaving tombstones for the change feed."""
        return await self._chunked(self._delete, list_name, keys)

    def _delete(self, list_name: str, keys: Sequence[str]) -> list[WriteResult]:
        self._spec(list_name)
        with write_transaction(self._db) as db:
            version = self._current_version()
            results = []
            for key in keys:
                found = db.execute(
                    "DELETE FROM items WHERE list = ? AND key = ? RETURNING id", (list_name, key)
                ).fetchone()
                if found is None:
                    results.append(WriteResult(key, Outcome.NOT_FOUND))
                    continue
                version += 1
                db.execute(
                    "INSERT INTO tombstones (list, key, item_id, version) VALUES (?, ?, ?, ?)",
                    (list_name, key, found[0], version),
                )
                results.append(WriteResult(key, Outcome.DELETED, str(found[0])))
            self._save_version(version)
        return results

    # ---- change feed ---------------------------------------------------------------------

    async def changes(self, list_name: str, token: str | None) -> ChangeSet:
        """Changes since `token`; None or an unusable token gives everything (full=True)."""
        return await self._run(self._changes, list_name, token)

    def _changes(self, list_name: str, token: str | None) -> ChangeSet:
        self._spec(list_name)
        db = self._db
        # One read transaction: the items and the new token come from the same snapshot.
        db.execute("BEGIN")
        try:
            current = self._current_version()
            since = parse_change_token(token, current, self._instance)
            next_token = make_change_token(self._instance, current)
            if since is None:
                rows = db.execute(
                    "SELECT id, key, fields, version, modified FROM items WHERE list = ? ORDER BY id",
                    (list_name,),
                ).fetchall()
                return ChangeSet(tuple(self._item(r) for r in rows), (), next_token, full=True)
            rows = db.execute(
                "SELECT id, key, fields, version, modified FROM items "
                "WHERE list = ? AND version > ? ORDER BY version",
                (list_name, since),
            ).fetchall()
            items = tuple(self._item(r) for r in rows)
            present = {i.key for i in items}
            gone = db.execute(
                "SELECT DISTINCT t.key FROM tombstones t WHERE t.list = ? AND t.version > ? "
                "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.list = t.list AND i.key = t.key) "
                "ORDER BY t.version",
                (list_name, since),
            ).fetchall()
            deleted = tuple(k for (k,) in gone if k not in present)
            return ChangeSet(items, deleted, next_token)
        finally:
            db.execute("COMMIT")

    async def close(self) -> None:
        """Close the connection and stop the worker thread."""
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)

