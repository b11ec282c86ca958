"""Reading and writing a table the way every state here does: the rows of one partition (or of
one key prefix inside it), transactions sent a few at a time, point reads a bounded number at a
time."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Sequence, TypeVar

from azure.data.tables import TableEntity
from azure.data.tables.aio import TableClient

from azurestore.retry import when_busy

A = TypeVar("A")
T = TypeVar("T")
PARALLEL_TRANSACTIONS = 4
PARALLEL_READS = 16
_END = "}"  # sorts right after "|": the end of the key range "prefix|"…


async def rows(table: TableClient, partition: str, prefix: str | None = None, where: str = "", *,
               select: Sequence[str] | None = None, per_page: int | None = None,
               **params: Any) -> AsyncIterator[TableEntity]:
    """The rows of `partition` (whose RowKey starts with `prefix|`, when given) that `where`
    (an OData filter over @-parameters) keeps, in RowKey order."""
    query = ["PartitionKey eq @pk"]
    bounds: dict[str, Any] = {"pk": partition}
    if prefix is not None:
        query.append("RowKey ge @lo and RowKey lt @hi")
        bounds.update(lo=f"{prefix}|", hi=f"{prefix}{_END}")
    if where:
        query.append(where)
    async for entity in table.query_entities(" and ".join(query), parameters={**bounds, **params},
                                             select=list(select) if select else None, results_per_page=per_page):
        yield entity


async def submit_all(table: TableClient, parts: Iterable[list[tuple[Any, ...]]]) -> None:
    """Send transactions (from `azurestore.transactions`) a few at a time, in no given order."""
    gate = asyncio.Semaphore(PARALLEL_TRANSACTIONS)

    async def one(part: list[tuple[Any, ...]]) -> None:
        async with gate:
            await when_busy(lambda: table.submit_transaction(part))

    await asyncio.gather(*map(one, parts))


async def bounded(call: Callable[[A], Awaitable[T]], args: Iterable[A], limit: int = PARALLEL_READS) -> list[T]:
    """`call(arg)` for each of `args`, at most `limit` at a time; the results in their order."""
    gate = asyncio.Semaphore(limit)

    async def one(arg: A) -> T:
        async with gate:
            return await call(arg)

    return await asyncio.gather(*map(one, args))
