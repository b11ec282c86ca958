"""What only the SQLite store must do: persist, and share one file between processes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from config.schema import ListSpec
from liststore import Outcome, SqliteListStore, Upsert


async def test_reopen_keeps_items_schema_and_change_token(tmp_path: Path, spec: ListSpec) -> None:
    path = tmp_path / "lists.sqlite3"
    store = await SqliteListStore.open(path)
    await store.ensure_list(spec)
    await store.upsert("Things", [Upsert("A", {"Title": "a", "Score": 1})])
    token = (await store.changes("Things", None)).token
    await store.close()

    again = await SqliteListStore.open(path)
    try:
        item = await again.get("Things", "A")
        assert item is not None and item.fields["Score"] == 1
        # The provisioned shape came back from disk: validation still applies.
        (bad,) = await again.upsert("Things", [Upsert("B", {"Title": "b", "State": "?"})])
        assert bad.outcome is Outcome.FAILED
        assert (await again.changes("Things", token)).items == ()
    finally:
        await again.close()


async def test_wal_mode_and_indexes_exist(tmp_path: Path, spec: ListSpec) -> None:
    path = tmp_path / "lists.sqlite3"
    store = await SqliteListStore.open(path)
    await store.ensure_list(spec)
    await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"ix_Things_Code", "ix_Things_Group", "ix_Things_State"} <= indexes
        assert "ix_Things_Free" not in indexes
        plan = " ".join(str(r) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM items WHERE list = 'Things' "
            "AND json_extract(fields, '$.Group') = ?", ("g",)))
        assert "ix_Things_Group" in plan, plan
    finally:
        conn.close()


WRITER = textwrap.dedent("""
    import asyncio, sys
    from liststore import SqliteListStore, Upsert

    async def main(path, prefix, n):
        store = await SqliteListStore.open(__import__("pathlib").Path(path))
        try:
            for start in range(0, n, 50):
                rows = [Upsert(f"{prefix}{i:04d}", {"Title": prefix, "Score": i})
                        for i in range(start, min(n, start + 50))]
                results = await store.upsert("Things", rows)
                assert all(r.ok for r in results), results
        finally:
            await store.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
""")


async def test_two_processes_write_the_same_file_without_losing_rows(
    tmp_path: Path, spec: ListSpec
) -> None:
    path = tmp_path / "lists.sqlite3"
    store = await SqliteListStore.open(path)
    await store.ensure_list(spec)
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, str(path), prefix, "600",
                                             stderr=subprocess.PIPE)
        for prefix in ("P", "Q")
    ]
    # Read while they write: WAL readers never block and never see half a transaction.
    seen_counts = []
    while any(p.returncode is None for p in procs):
        seen_counts.append(await store.count("Things"))
        await asyncio.sleep(0.01)
    for p in procs:
        _, err = await p.communicate()
        assert p.returncode == 0, err.decode()
    assert await store.count("Things") == 1200
    assert all(c % 50 == 0 for c in seen_counts)  # whole batches only
    changes = await store.changes("Things", None)
    assert len({i.key for i in changes.items}) == 1200
    await store.close()


async def test_a_token_from_another_database_is_refused(tmp_path: Path, spec: ListSpec) -> None:
    old = await SqliteListStore.open(tmp_path / "old.sqlite3")
    await old.ensure_list(spec)
    await old.upsert("Things", [Upsert(f"K{n}", {"Title": "t"}) for n in range(3)])
    token = (await old.changes("Things", None)).token
    await old.close()
    new = await SqliteListStore.open(tmp_path / "new.sqlite3")
    await new.ensure_list(spec)
    await new.upsert("Things", [Upsert(f"N{n}", {"Title": "t"}) for n in range(5)])
    feed = await new.changes("Things", token)  # the number fits, the database does not
    assert feed.full and sorted(i.key for i in feed.items) == [f"N{n}" for n in range(5)]
    await new.close()
