"""The seam between the product and wherever its lists live."""

from __future__ import annotations

from typing import Any, AsyncIterator, Protocol, Sequence, runtime_checkable

from config.schema import ListSpec
from liststore.model import ChangeSet, Item, SchemaReport, Upsert, WriteResult

DEFAULT_PAGE_SIZE = 500


@runtime_checkable
class ListStore(Protocol):
    """SharePoint lists, or a local twin with the same behaviour.

    Whole-call failures raise `liststore.errors` exceptions; per-item failures in a batch come
    back as `WriteResult`s so one bad row never sinks the others.
    """

    async def ensure_list(self, spec: ListSpec) -> SchemaReport:
        """Create the list and any missing columns and indexes; never drop anything."""
        ...

    async def spec(self, list_name: str) -> ListSpec:
        """The list's shape as it really is: choices and columns added to it since it was
        declared included, so writes can be checked against what the list will accept."""
        ...

    async def get(self, list_name: str, key: str) -> Item | None:
        """The item with this key, or None."""
        ...

    async def query(self, list_name: str, column: str, value: Any) -> list[Item]:
        """Items whose indexed `column` equals `value` (PermanentError for a non-indexed one)."""
        ...

    def pages(self, list_name: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[list[Item]]:
        """Every item, a page at a time, in a stable order."""
        ...

    async def count(self, list_name: str) -> int:
        """How many items the list holds."""
        ...

    async def upsert(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create or update items by key, in batches; results in the order of `rows`."""
        ...

    async def create(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create items whose key is not taken; a taken key is EXISTS and nothing is written
        (what makes a number handed out once, even by two writers at the same moment)."""
        ...

    async def delete(self, list_name: str, keys: Sequence[str]) -> list[WriteResult]:
        """Delete items by key; a missing key is NOT_FOUND, not an error."""
        ...

    async def changes(self, list_name: str, token: str | None) -> ChangeSet:
        """What changed since `token` (everything when None or expired) and the next token."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
