"""The sample city synced into SharePoint (the Graph fake): initial, 1%-changed and no-change runs.

The product runs as an operator runs it (`dx-sync run` in its own process, so its peak memory
is its own) against the fake with 20 ms latency and a resource-unit budget. The naive baseline
is what a simple script or an "Apply to each" flow does: one request per item, sequential,
rewriting everything. It is linear by construction, so it is measured on a slice and scaled.

    python -m benchmarks.sync_bench [--staff 2000] [--baseline-sample 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from config.schema import load_list_specs
from config.settings import Settings
from graph_sync.mapping import load_sync_config
from graph_sync.resources import extract, staff_context
from liststore.sharepoint.pacing import Pacer
from liststore.sharepoint.store import SharePointListStore
from tabular.reader import read_table
from tests.fakes.exports import complete_some_courses
from tests.fakes.graph_fake import GraphFake, RunningFake, serve_graph_fake

LATENCY = 0.020
RU_PER_MINUTE = 60_000  # a large tenant; the pacer and the fake agree on it
DX_SYNC = str(Path(sys.executable).parent / "dx-sync")


async def _dx_sync(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(DX_SYNC, *args, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode not in (0, 1):
        raise RuntimeError(err.decode()[-2000:])
    return time.perf_counter() - started, out.decode()


async def _naive_seconds_per_item(running: RunningFake, data: Path, sample: int) -> float:
    """One request per item, sequential, rewriting every item (PATCH when it exists)."""
    env: dict[str, Any] = {k.removeprefix("DX_").lower(): v for k, v in running.env().items()}
    store = await SharePointListStore.open(Settings(data_dir=data / "naive", **env))
    store.transport.pacer = Pacer(RU_PER_MINUTE)
    config, specs = load_sync_config(), load_list_specs()
    staff_map = config.resource("staff")
    ctx = staff_context(read_table(data / "sources" / staff_map.file), staff_map,
                        config.settings.first_cohort_fiscal_year)
    mapping = config.resource("completions")
    records = extract(read_table(data / "sources" / mapping.file), mapping, specs[mapping.list], ctx).records
    state = await store._state(mapping.list)
    await store._refresh_index(state)
    started = time.perf_counter()
    for key, fields in list(records.items())[:sample]:
        known = state.index.get(key)
        if known:
            await store.transport.call("PATCH", store._list_path(state, f"/items/{known[0]}/fields"),
                                       fields, cost=2)
        else:
            await store.transport.call("POST", store._list_path(state, "/items"), {"fields": fields}, cost=2)
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed / sample


async def main(staff: int = 2000, baseline_sample: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        data = Path(tmp_name)
        fake = GraphFake()
        async with serve_graph_fake(data / "tls", fake) as running:
            env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")} | running.env() | {
                "DX_DATA_DIR": str(data), "DX_GRAPH_RU_PER_MINUTE": str(RU_PER_MINUTE)}
            await _dx_sync(env, "sample", "--staff", str(staff))
            await _dx_sync(env, "provision")
            fake.knobs.latency = LATENCY
            fake.set_budget(RU_PER_MINUTE)

            initial_s, out = await _dx_sync(env, "run", "--json")
            items = json.loads(out)["totals"]["created"]
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            initial_requests = fake.counters["http_requests"]

            c = fake.counters
            writes, batches = fake.write_requests, c["batch_requests"]
            full, pages = c["delta_full"], c["GET _get_items"]
            nochange_s, _ = await _dx_sync(env, "run", "--json")
            nochange_writes = fake.write_requests - writes

            changed = complete_some_courses(data / "sources" / "completions.csv", 0.01)
            writes, batches = fake.write_requests, c["batch_requests"]
            incr_s, out = await _dx_sync(env, "run", "--json")
            incr_written = fake.write_requests - writes
            incr_batches = c["batch_requests"] - batches
            listed = (c["delta_full"] - full) + (c["GET _get_items"] - pages)

            per_item = await _naive_seconds_per_item(running, data, baseline_sample)
            naive_s = per_item * items

    print(f"sync benchmark: sample city of {staff} staff ({items} items) into SharePoint (Graph fake, "
          f"{LATENCY * 1000:.0f} ms latency, {RU_PER_MINUTE} RU/min budget)")
    print(f"  initial:      {initial_s:7.1f}s, {initial_requests} HTTP requests; naive ~{naive_s:7.1f}s "
          f"({items} requests; {per_item * 1000:.1f} ms/item measured on {baseline_sample}) "
          f"-> x{naive_s / initial_s:.1f}")
    print(f"  no change:    {nochange_s:7.1f}s, write requests {nochange_writes} (target 0)")
    print(f"  1% changed:   {incr_s:7.1f}s, {changed} rows changed, {incr_written} items written in "
          f"{incr_batches} $batch requests (target <= {math.ceil(changed / 20) + 2}), full listings "
          f"{listed} (target 0); naive ~{naive_s:.1f}s rewriting all -> x{naive_s / incr_s:.1f} "
          f"(target >= 20)")
    print(f"  peak memory of the initial dx-sync run: {peak_mb:.0f} MB (target < 300)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--baseline-sample", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.staff, args.baseline_sample))
