"""Open the store the settings name."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from config.settings import Settings, SettingsError
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
        # The Graph-backed store is the next piece of work; until it lands, say so plainly.
        raise SettingsError("DX_STORE: 'sharepoint' is not available in this version yet; use sqlite")
    try:
        yield store
    finally:
        await store.close()
