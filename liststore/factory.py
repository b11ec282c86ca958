"""Open the store the settings name."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from config.settings import Settings
from liststore.memory import MemoryListStore
from liststore.protocol import ListStore
from liststore.sqlite import SqliteListStore


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[ListStore]:
    """The ListStore for `settings.store`, closed on exit."""
    store: ListStore
    if settings.store == "sqlite":
        store = await SqliteListStore.open(settings.sqlite_path)
    elif settings.store == "memory":
        store = MemoryListStore()
    else:
        # Imported here: the SDK is heavy, and local runs never need it.
        from liststore.sharepoint.store import SharePointListStore

        store = await SharePointListStore.open(settings)
    try:
        yield store
    finally:
        await store.close()
