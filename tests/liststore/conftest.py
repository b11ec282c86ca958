"""Every ListStore implementation, for the contract suite. New stores add a factory here."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest

from config.schema import ColumnSpec, ColumnType, ListSpec, Owner
from config.settings import Settings
from liststore import ListStore, MemoryListStore, SqliteListStore
from tests.fakes.graph_fake import serve_graph_fake

StoreFactory = Callable[[Path, AsyncExitStack], Awaitable[ListStore]]


async def _memory(_: Path, __: AsyncExitStack) -> ListStore:
    return MemoryListStore()


async def _sqlite(tmp: Path, _: AsyncExitStack) -> ListStore:
    return await SqliteListStore.open(tmp / "lists.sqlite3")


async def _sharepoint(tmp: Path, stack: AsyncExitStack) -> ListStore:
    """The real msgraph-sdk and azure-identity against the Graph fake on 127.0.0.1."""
    from liststore.sharepoint.store import SharePointListStore

    running = await stack.enter_async_context(serve_graph_fake(tmp / "tls"))
    env = {k.removeprefix("DX_").lower(): v for k, v in running.env().items()}
    return await SharePointListStore.open(Settings(**env, data_dir=tmp))  # type: ignore[arg-type]


FACTORIES: dict[str, StoreFactory] = {"memory": _memory, "sqlite": _sqlite, "sharepoint": _sharepoint}


@pytest.fixture(params=sorted(FACTORIES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ListStore]:
    async with AsyncExitStack() as stack:
        s = await FACTORIES[request.param](tmp_path, stack)
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
