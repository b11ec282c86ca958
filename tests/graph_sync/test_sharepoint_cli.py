"""dx-sync against SharePoint (the Graph fake), as an operator runs it: separate processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import AsyncIterator

import pytest

from config.schema import load_list_specs
from tests.fakes.graph_fake import RunningFake, serve_graph_fake

DX_SYNC = str(Path(sys.executable).parent / "dx-sync")


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[RunningFake]:
    async with serve_graph_fake(tmp_path / "tls") as running:
        yield running


async def dx_sync(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DX_")} | env
    proc = await asyncio.create_subprocess_exec(DX_SYNC, *args, env=full, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_provision_sync_and_resync_against_sharepoint(graph: RunningFake, tmp_path: Path) -> None:
    env = graph.env() | {"DX_DATA_DIR": str(tmp_path), "DX_GRAPH_RU_PER_MINUTE": "100000"}
    code, out, err = await dx_sync("sample", "--staff", "300", env=env)
    assert code == 0, err
    code, out, err = await dx_sync("provision", env=env)
    assert code == 0, err
    assert "Staff: 作成 / created" in out and len(graph.fake.lists) == len(load_list_specs())

    code, out, err = await dx_sync("run", "--json", env=env)
    assert code == 0, err
    report = json.loads(out)
    created = report["totals"]["created"]
    assert report["lists"]["Staff"]["created"] == 300 and report["totals"]["failed"] == 0
    # The report counts Graph requests: about one per 20 writes, plus reads and checkpoints.
    assert 0 < report["totals"]["requests"] <= graph.fake.counters["http_requests"]
    assert report["lists"]["CourseCompletions"]["requests"] >= report["lists"]["CourseCompletions"]["created"] / 20
    assert sum(len(lst.items) for lst in graph.fake.lists.values()) == created
    # Every write went through $batch: about one HTTP request per 20 items.
    assert graph.fake.counters["sub_requests"] >= created
    assert graph.fake.counters["batch_requests"] <= created / 20 * 1.05 + 10

    writes_before = graph.fake.counters["sub_requests"]
    code, out, err = await dx_sync("run", "--json", env=env)
    assert code == 0, err
    again = json.loads(out)["totals"]
    assert again["created"] == again["updated"] == again["failed"] == 0
    assert graph.fake.counters["sub_requests"] == writes_before  # not a single write


async def test_wrong_secret_is_one_line_without_the_secret(graph: RunningFake, tmp_path: Path) -> None:
    secret = "not-the-right-secret-42"
    env = graph.env() | {"DX_DATA_DIR": str(tmp_path), "DX_CLIENT_SECRET": secret}
    code, out, err = await dx_sync("provision", env=env)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and graph.fake.tenant_id in lines[0] and graph.fake.client_id in lines[0]
    assert secret not in err + out and "Traceback" not in err
