"""In-memory ListStore: the twin used by tests and dry runs."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, AsyncIterator, Callable, Sequence

from config.schema import ListSpec
from liststore.errors import NotProvisionedError
from liststore.model import ChangeSet, Item, Outcome, SchemaReport, Upsert, WriteResult
from liststore.protocol import DEFAULT_PAGE_SIZE
from liststore.rules import (
    check_queryable,
    choices_to_add,
    compare_schema,
    effective_spec,
    make_change_token,
    merge_upsert,
    parse_change_token,
    query_value,
    schema_report,
)


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class _List:
    spec: ListSpec
    items: dict[str, Item] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    tombstones: list[tuple[int, str]] = field(default_factory=list)


class MemoryListStore:
    """Lists held in dictionaries; same semantics as the SQLite and SharePoint stores."""

    def __init__(self, clock: Callable[[], str] = _utc_now) -> None:
        self._lists: dict[str, _List] = {}
        self._version = 0
        self._ids = itertools.count(1)
        self._clock = clock
        self._instance = uuid.uuid4().hex

    def _list(self, name: str) -> _List:
        try:
            return self._lists[name]
        except KeyError:
            raise NotProvisionedError(name) from None

    async def ensure_list(self, spec: ListSpec) -> SchemaReport:
        """Create the list or add what it lacks."""
        current = self._lists.get(spec.name)
        if current is None:
            self._lists[spec.name] = _List(spec)
            return schema_report(spec, True, list(spec.columns), [], [])
        existing = {c.name: c for c in current.spec.columns}
        added, indexed, drift = compare_schema(spec, existing)
        current.spec = effective_spec(spec, existing)
        return schema_report(spec, False, added, indexed, drift, choices_to_add(spec, existing))

    async def spec(self, list_name: str) -> ListSpec:
        """The list's shape as it really is."""
        return self._list(list_name).spec

    async def get(self, list_name: str, key: str) -> Item | None:
        """The item with this key, or None."""
        return self._list(list_name).items.get(key)

    async def query(self, list_name: str, column: str, value: Any) -> list[Item]:
        """Items whose indexed column equals value, in creation order."""
        lst = self._list(list_name)
        col = check_queryable(lst.spec, column)
        wanted = query_value(col, value)
        return [item for item in lst.items.values() if item.fields.get(column) == wanted]

    async def pages(
        self, list_name: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[list[Item]]:
        """Every item in creation order, `page_size` at a time."""
        items = list(self._list(list_name).items.values())
        for start in range(0, len(items), page_size):
            yield items[start : start + page_size]

    async def count(self, list_name: str) -> int:
        """How many items the list holds."""
        return len(self._list(list_name).items)

    async def upsert(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create or update each row by key."""
        return self._write(list_name, rows, create_only=False)

    async def create(self, list_name: str, rows: Sequence[Upsert]) -> list[WriteResult]:
        """Create each row whose key is not taken."""
        return self._write(list_name, rows, create_only=True)

    def _write(self, list_name: str, rows: Sequence[Upsert], *, create_only: bool) -> list[WriteResult]:
        lst = self._list(list_name)
        results = []
        for row in rows:
            existing = lst.items.get(row.key)
            if create_only and existing is not None:
                results.append(WriteResult(row.key, Outcome.EXISTS, existing.item_id, existing.etag,
                                           error=f"{row.key} exists"))
                continue
            fields, failure = merge_upsert(lst.spec, existing, row)
            if failure is not None:
                results.append(failure)
                continue
            assert fields is not None
            self._version += 1
            item_id = existing.item_id if existing else str(next(self._ids))
            item = Item(row.key, fields, item_id, f'"{item_id},{self._version}"', self._clock())
            # Re-inserting keeps creation order for updates (dicts keep first insertion).
            lst.items[row.key] = item
            lst.versions[row.key] = self._version
            outcome = Outcome.UPDATED if existing else Outcome.CREATED
            results.append(WriteResult(row.key, outcome, item.item_id, item.etag))
        return results

    async def delete(self, list_name: str, keys: Sequence[str]) -> list[WriteResult]:
        """Delete by key; missing keys are NOT_FOUND."""
        lst = self._list(list_name)
        results = []
        for key in keys:
            item = lst.items.pop(key, None)
            if item is None:
                results.append(WriteResult(key, Outcome.NOT_FOUND))
                continue
            self._version += 1
            del lst.versions[key]
            lst.tombstones.append((self._version, key))
            results.append(WriteResult(key, Outcome.DELETED, item.item_id))
        return results

    async def changes(self, list_name: str, token: str | None) -> ChangeSet:
        """Changes since `token`; None (or a token from the future) gives everything."""
        lst = self._list(list_name)
        since = parse_change_token(token, self._version, self._instance)
        next_token = make_change_token(self._instance, self._version)
        if since is None:
            return ChangeSet(tuple(lst.items.values()), (), next_token, full=True)
        changed = sorted(
            (v, k) for k, v in lst.versions.items() if v > since
        )
        items = tuple(lst.items[k] for _, k in changed)
        present = {k for _, k in changed}
        deleted = tuple(
            dict.fromkeys(k for v, k in lst.tombstones if v > since and k not in lst.items
                          and k not in present)
        )
        return ChangeSet(items, deleted, next_token)

    async def close(self) -> None:
        """Nothing to release."""

