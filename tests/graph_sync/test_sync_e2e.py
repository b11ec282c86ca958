"""A city's sync end to end, over SharePoint (the Graph fake), with real processes: a first
load, a run with nothing changed, a small change, a run killed mid-write and the one after it."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import os
import signal
import sys
from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.fakes.exports import complete_some_courses
from tests.fakes.graph_fake import RunningFake, serve_graph_fake

DX_SYNC = str(Path(sys.executable).parent / "dx-sync")


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[RunningFake]:
    async with serve_graph_fake(tmp_path / "tls") as running:
        yield running


def _env(graph: RunningFake, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DX_")}
    return base | graph.env() | {"DX_DATA_DIR": str(tmp_path), "DX_GRAPH_RU_PER_MINUTE": "1000000"}


async def _start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(DX_SYNC, *args, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)


async def _run(env: dict[str, str], *args: str) -> dict:
    proc = await _start(env, "run", "--json", *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


async def test_run_rerun_incremental_kill_and_converge(graph: RunningFake, tmp_path: Path) -> None:
    env = _env(graph, tmp_path)
    for args in (("sample", "--staff", "300"), ("provision",)):
        proc = await _start(env, *args)
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()

    first = await _run(env)
    assert first["totals"]["failed"] == 0 and first["totals"]["created"] > 6000
    items = sum(len(lst.items) for lst in graph.fake.lists.values())
    assert items == first["totals"]["created"]

    # Again, with nothing changed: not one write, and no listing of the lists either.
    c = graph.fake.counters
    writes, full, pages = graph.fake.write_requests, c["delta_full"], c["GET _get_items"]
    again = await _run(env)
    assert again["totals"]["created"] == again["totals"]["updated"] == 0
    assert graph.fake.write_requests == writes
    assert c["delta_full"] == full and c["GET _get_items"] == pages

    # 1% of the LMS rows change: only those are written, in ⌈changed / 20⌉ batches or so.
    changed = complete_some_courses(tmp_path / "sources" / "completions.csv", 0.01)
    batches = c["batch_requests"]
    incremental = await _run(env)
    assert incremental["lists"]["CourseCompletions"]["updated"] == changed
    assert graph.fake.write_requests - writes == changed
    assert c["batch_requests"] - batches <= math.ceil(changed / 20) + 2
    assert c["delta_full"] == full and c["GET _get_items"] == pages

    # A bigger change, killed halfway through its writes.
    big = complete_some_courses(tmp_path / "sources" / "completions.csv", 0.25)
    graph.fake.knobs.latency = 0.05
    before_kill = graph.fake.write_requests
    proc = await _start(env, "run", "--json")
    while graph.fake.write_requests - before_kill < big // 3:
        await asyncio.sleep(0.02)
        assert proc.returncode is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    landed = graph.fake.write_requests - before_kill
    assert 0 < landed < big
    graph.fake.knobs.latency = 0.0

    resumed = await _run(env)
    assert resumed["resumed_runs"], "the interrupted run is reported"
    assert resumed["lists"]["CourseCompletions"]["updated"] <= big - landed + 20
    final = await _run(env)
    assert final["totals"]["created"] == final["totals"]["updated"] == final["totals"]["failed"] == 0
    completions = graph.fake.list_by_name("CourseCompletions")
    keys = [i.fields["CompletionKey"] for i in completions.items.values()]
    assert len(keys) == len(set(keys)) == first["lists"]["CourseCompletions"]["created"]
    done = sum(1 for i in completions.items.values() if i.fields.get("Status") == "修了")
    expected = sum(1 for r in csv.reader(io.StringIO(
        (tmp_path / "sources" / "completions.csv").read_bytes().decode("cp932"))) if r[3] in {"修了", "修了済"})
    assert done == expected
