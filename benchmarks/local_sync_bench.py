"""The sample city synced into the SQLite store, against a naive baseline in the same run.

Baseline: what a simple script or an "Apply to each" flow does — one write call per item,
sequential, rewriting every item whether or not it changed. Figures are ratios; absolute
seconds on a shared machine mean little.

    python -m benchmarks.local_sync_bench [--staff N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from config.schema import load_list_specs
from graph_sync.engine import run_once
from graph_sync.mapping import load_sync_config
from graph_sync.resources import extract, staff_context
from graph_sync.sample.generate import generate
from graph_sync.state import SqliteSyncState
from liststore import SqliteListStore, Upsert
from tabular.reader import read_table


async def _fresh_store(path: Path) -> SqliteListStore:
    path.unlink(missing_ok=True)
    store = await SqliteListStore.open(path)
    for spec in load_list_specs().values():
        await store.ensure_list(spec)
    return store


async def naive(store: SqliteListStore, sources: Path) -> tuple[float, int]:
    """Read every export and write every row, one call per item."""
    specs, config = load_list_specs(), load_sync_config()
    started = time.perf_counter()
    staff_map = config.resource("staff")
    ctx = staff_context(read_table(sources / staff_map.file), staff_map,
                        config.settings.first_cohort_fiscal_year)
    calls = 0
    for mapping in config.resources:
        records = extract(read_table(sources / mapping.file), mapping, specs[mapping.list], ctx).records
        for key, fields in records.items():
            await store.upsert(mapping.list, [Upsert(key, fields)])
            calls += 1
    return time.perf_counter() - started, calls


async def engine(store: SqliteListStore, sources: Path) -> tuple[float, int]:
    """The product's run: plan, then write only what changed in chunks."""
    started = time.perf_counter()
    state = SqliteSyncState(sources.parent / "sync-state.sqlite3")
    report = await run_once(store, state, load_sync_config(), load_list_specs(), sources)
    await state.close()
    t = report.totals()
    return time.perf_counter() - started, t["created"] + t["updated"] + t["deactivated"] + t["deleted"]


async def main(staff: int = 600) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "sources", staff=staff)
        db = root / "lists.sqlite3"

        store = await _fresh_store(db)
        naive_first, naive_calls = await naive(store, root / "sources")
        naive_again, _ = await naive(store, root / "sources")
        await store.close()

        store = await _fresh_store(db)
        first, first_writes = await engine(store, root / "sources")
        again, again_writes = await engine(store, root / "sources")
        await store.close()

    print(f"local sync benchmark: sample city of {staff} staff, {naive_calls} items, SQLite store")
    print(f"  initial load   naive {naive_first:6.2f}s  engine {first:6.2f}s  "
          f"speed-up x{naive_first / first:5.1f}  (engine writes {first_writes})")
    print(f"  no-change run  naive {naive_again:6.2f}s  engine {again:6.2f}s  "
          f"speed-up x{naive_again / again:5.1f}  (engine writes {again_writes}, naive {naive_calls})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=600)
    asyncio.run(main(parser.parse_args().staff))
