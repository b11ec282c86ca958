"""The ListStore seam: SharePoint lists or a local twin with the same behaviour."""

from liststore.errors import (
    AlreadyExistsError,
    AuthError,
    ConflictError,
    NotProvisionedError,
    PermanentError,
    StoreError,
    TransientError,
)
from liststore.factory import open_store
from liststore.memory import MemoryListStore
from liststore.model import ChangeSet, Item, Outcome, SchemaReport, Upsert, WriteResult
from liststore.protocol import ListStore
from liststore.sqlite import SqliteListStore

__all__ = [
    "AlreadyExistsError",
    "AuthError",
    "ChangeSet",
    "ConflictError",
    "Item",
    "ListStore",
    "MemoryListStore",
    "NotProvisionedError",
    "Outcome",
    "PermanentError",
    "SchemaReport",
    "SqliteListStore",
    "StoreError",
    "TransientError",
    "Upsert",
    "WriteResult",
    "open_store",
]
