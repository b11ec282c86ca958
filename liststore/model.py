"""Plain records that cross the ListStore seam."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Item:
    """One list item: its key, its fields (canonical JSON values) and the store's bookkeeping."""

    key: str
    fields: Mapping[str, Any]
    item_id: str
    etag: str
    modified: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class Upsert:
    """Create the item with `key`, or update only the given fields of the existing one."""

    key: str
    fields: Mapping[str, Any]
    if_match: str | None = None  # etag; a mismatch gives Outcome.CONFLICT


class Outcome(StrEnum):
    """What happened to one item of a batch."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    EXISTS = "exists"  # a create-only write met an item with its key
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one upsert or delete; `error` says why when it failed."""

    key: str
    outcome: Outcome
    item_id: str | None = None
    etag: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the write landed (or the delete found nothing to delete)."""
        return self.outcome in {Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED, Outcome.NOT_FOUND}


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Items changed and keys deleted since a token, and the token to ask with next time."""

    items: tuple[Item, ...]
    deleted: tuple[str, ...]
    token: str
    full: bool = False  # True when the store re-enumerated everything (first call or token expired)


@dataclass(frozen=True, slots=True)
class SchemaReport:
    """What `ensure_list` did, and any drift it found but would not fix (it never drops data)."""

    list_name: str
    created: bool = False
    added_columns: tuple[str, ...] = ()
    added_indexes: tuple[str, ...] = ()
    added_choices: tuple[str, ...] = ()  # choice columns that were given the declared new values
    drift: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """True when provisioning wrote anything."""
        return self.created or bool(self.added_columns or self.added_indexes or self.added_choices)
