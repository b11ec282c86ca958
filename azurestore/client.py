"""The Azure Storage account the settings name, as table and blob clients (asyncio)."""

from __future__ import annotations

import asyncio

from azure.core.exceptions import ResourceExistsError
from azure.data.tables.aio import TableClient, TableServiceClient
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from config.settings import Settings, SettingsError


class StateStorage:
    """One storage account's tables and blob containers, each named `<prefix><name>` and created
    on first use. Safe to share between the state objects of one process."""

    def __init__(self, connection_string: str, prefix: str) -> None:
        self.prefix = prefix
        self._tables = TableServiceClient.from_connection_string(connection_string)
        self._blobs = BlobServiceClient.from_connection_string(connection_string)
        self._made: dict[str, asyncio.Lock] = {}
        self._ready: set[str] = set()

    async def table(self, name: str) -> TableClient:
        """The table `<prefix><name>`, created if missing."""
        full = f"{self.prefix}{name}"
        if full not in self._ready:
            async with self._made.setdefault(full, asyncio.Lock()):
                if full not in self._ready:
                    await self._tables.create_table_if_not_exists(full)
                    self._ready.add(full)
        return self._tables.get_table_client(full)

    async def container(self, name: str) -> ContainerClient:
        """The blob container `<prefix>-<name>`, created if missing."""
        full = f"{self.prefix}-{name}"
        client = self._blobs.get_container_client(full)
        if full not in self._ready:
            async with self._made.setdefault(full, asyncio.Lock()):
                if full not in self._ready:
                    try:
                        await client.create_container()
                    except ResourceExistsError:
                        pass
                    self._ready.add(full)
        return client

    async def close(self) -> None:
        try:
            await self._tables.close()
        finally:
            await self._blobs.close()


def connection_string(settings: Settings) -> str:
    """DX_STATE_CONNECTION_STRING, or what the file DX_STATE_CONNECTION_STRING_FILE names holds."""
    secret = settings.state_connection_string_value()
    if not secret:
        raise SettingsError("DX_STATE_CONNECTION_STRING: required when DX_STATE_STORE=azure "
                            "(or DX_STATE_CONNECTION_STRING_FILE)")
    return secret


def open_storage(settings: Settings) -> StateStorage:
    """The state's storage account, as the settings name it."""
    return StateStorage(connection_string(settings), settings.state_prefix)
