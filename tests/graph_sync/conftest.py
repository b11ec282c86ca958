"""Fixtures of the sync tests: the sample city's exports, a provisioned SQLite store, state."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import AsyncIterator

import pytest

from config.schema import ListSpec, load_list_specs
from graph_sync.mapping import SyncConfig, load_sync_config
from graph_sync.sample.generate import generate
from graph_sync.state import SqliteSyncState, SyncState
from liststore import ListStore, SqliteListStore


@pytest.fixture
def specs() -> dict[str, ListSpec]:
    return load_list_specs()


@pytest.fixture
def config() -> SyncConfig:
    return load_sync_config()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    out = tmp_path / "sources"
    generate(out, staff=400, seed=11)
    return out


@pytest.fixture
async def store(tmp_path: Path, specs: dict[str, ListSpec]) -> AsyncIterator[ListStore]:
    s = await SqliteListStore.open(tmp_path / "lists.sqlite3")
    for spec in specs.values():
        await s.ensure_list(spec)
    yield s
    await s.close()


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[SyncState]:
    st = SqliteSyncState(tmp_path / "sync-state.sqlite3")
    yield st
    await st.close()


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"), newline="")))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]], encoding: str = "cp932") -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
