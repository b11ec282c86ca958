"""Every ListStore implementation, for the contract suite. New stores add a factory here."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest

from config.schema import ColumnSpec, ColumnType, ListSpec, Owner
from liststore import ListStore, MemoryListStore, SqliteListStore

StoreFactory = Callable[[Path], Awaitable[ListStore]]


async def _memory(_: Path) -> ListStore:
    return MemoryListStore()


async def _sqlite(tmp: Path) -> ListStore:
    return await SqliteListStore.open(tmp / "lists.sqlite3")


FACTORIES: dict[str, StoreFactory] = {"memory": _memory, "sqlite": _sqlite}


@pytest.fixture(params=sorted(FACTORIES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ListStore]:
    s = await FACTORIES[request.param](tmp_path)
    try:
        yield s
    finally:
        await s.close()


def col(name: str, type_: str = "text", **kw: object) -> ColumnSpec:
    return ColumnSpec(name=name, display=name, type=ColumnType(type_), owner=Owner.SYNC, **kw)  # type: ignore[arg-type]


@pytest.fixture
def spec() -> ListSpec:
    """A small list with one column of every type."""
    return ListSpec(
        name="Things",
        display="もの",
        description="",
        key="Code",
        owner=Owner.SYNC,
        columns=(
            col("Title", required=True),
            col("Code", required=True, indexed=True, unique=True),
            col("Group", indexed=True),
            col("Body", "note"),
            col("Score", "number"),
            col("Count", "integer", indexed=True),
            col("Active", "boolean", indexed=True),
            col("Day", "date", indexed=True),
            col("At", "datetime"),
            col("State", "choice", indexed=True, choices=("未受講", "受講中", "修了")),
            col("Link", "url"),
            col("Free"),
        ),
    )
