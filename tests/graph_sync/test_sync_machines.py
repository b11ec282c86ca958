"""The sync on two machines sharing one state in Azure Storage (Azurite) and one SharePoint site
(the Graph fake), with real `dx-sync` processes: while one runs, the other is told who holds the
lock and writes nothing; afterwards the other machine starts from the shared mirror and cursor,
so it finds nothing to write and lists nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.fakes.azurite import Azurite, unique_prefix
from tests.fakes.graph_fake import RunningFake, serve_graph_fake
from tests.graph_sync.test_sync_e2e import _env, _run, _start


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[RunningFake]:
    async with serve_graph_fake(tmp_path / "tls") as running:
        yield running


async def test_two_machines_take_turns_and_share_what_they_know(
        graph: RunningFake, azurite: Azurite, tmp_path: Path) -> None:
    shared = {"DX_STATE_STORE": "azure", "DX_STATE_CONNECTION_STRING": azurite.connection_string,
              "DX_STATE_PREFIX": unique_prefix(), "DX_SOURCES_DIR": str(tmp_path / "a" / "sources")}
    one, two = (_env(graph, tmp_path / name) | shared for name in ("a", "b"))
    for args in (("sample", "--staff", "300"), ("provision",)):
        proc = await _start(one, *args)
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()

    graph.fake.knobs.latency = 0.02  # the first run takes long enough for the second to meet it
    first = await _start(one, "run", "--json")
    while graph.fake.write_requests == 0:
        await asyncio.sleep(0.02)
        assert first.returncode is None, "the first run finished before the second could start"
    writes = graph.fake.write_requests
    second = await _start(two, "run", "--json")
    _, err = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 4, err.decode()
    assert "別の同期（pid " in err.decode() and "が実行中です" in err.decode()
    assert first.returncode is None  # the other machine waited for nobody and wrote nothing
    out, err = await asyncio.wait_for(first.communicate(), timeout=300)
    assert first.returncode == 0, err.decode()[-2000:]
    assert graph.fake.write_requests > writes
    graph.fake.knobs.latency = 0.0

    c = graph.fake.counters
    writes, full, pages = graph.fake.write_requests, c["delta_full"], c["GET _get_items"]
    again = await _run(two)  # the other machine, from what the first left in the shared state
    assert again["totals"]["created"] == again["totals"]["updated"] == again["totals"]["failed"] == 0
    assert graph.fake.write_requests == writes
    assert c["delta_full"] == full and c["GET _get_items"] == pages
    for kept_beside_the_data in ("sync-state.sqlite3", "graph-index.sqlite3", "*.lock"):
        assert not list(tmp_path.rglob(kept_beside_the_data))
