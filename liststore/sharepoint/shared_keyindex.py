"""The SharePoint store's key index in Azure Table storage (`<prefix>keyindex`), shared by every
bot instance and sync worker (DX_STATE_STORE=azure), so that a process starting on a new machine
or in a fresh container reads one delta page instead of listing every item again.

Partitions: `entries|<site>|<list>` (an item id a row: its key, ETag and whether it is live) and
`tokens` (a list a row). A save writes its entries first and the token last, in transactions of
up to 100 entities: a process that dies in between leaves the old token, and the next delta
read from it brings the same entries again.
"""

from __future__ import annotations

from typing import Any, Iterable

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from azurestore import StateStorage, table_key, transactions
from azurestore.tables import rows, submit_all
from liststore.sharepoint.keyindex import Entry, SavedIndex

TABLE = "keyindex"


def _partition(site_id: str, list_id: str) -> str:
    return table_key("entries", site_id, list_id)


class TableKeyIndex:
    """`KeyIndex` over one Azure Storage account."""

    def __init__(self, storage: StateStorage) -> None:
        self._storage = storage
        self._closed = False

    async def load(self, site_id: str, list_id: str) -> SavedIndex:
        table = await self._storage.table(TABLE)
        saved = SavedIndex()
        try:
            row = await table.get_entity("tokens", table_key(site_id, list_id))
        except ResourceNotFoundError:
            return saved
        saved.token = row.get("token") or None
        async for e in rows(table, _partition(site_id, list_id)):
            saved.by_id[e["item_id"]] = e["key"]
            if e["live"]:
                saved.live[e["key"]] = (e["item_id"], e["etag"])
        return saved

    async def save(self, site_id: str, list_id: str, token: str | None, entries: Iterable[Entry],
                   *, replace: bool = False) -> None:
        table = await self._storage.table(TABLE)
        partition = _partition(site_id, list_id)
        changed: dict[str, dict[str, Any]] = {}
        if replace:  # every entry of the list is gone unless this save says otherwise
            async for e in rows(table, partition):
                if e["live"]:
                    changed[e["RowKey"]] = {**e, "live": False}
        for item_id, key, etag, live in entries:
            changed[table_key(item_id)] = {"PartitionKey": partition, "RowKey": table_key(item_id),
                                           "item_id": item_id, "key": key, "etag": etag, "live": bool(live)}
        await submit_all(table, transactions([("upsert", e, {"mode": UpdateMode.REPLACE}) for e in changed.values()]))
        token_row = {"PartitionKey": "tokens", "RowKey": table_key(site_id, list_id)}
        if token is not None:
            await table.upsert_entity({**token_row, "token": token}, mode=UpdateMode.REPLACE)
        else:  # keep the saved token; a list saved for the first time has none yet
            try:
                await table.get_entity(token_row["PartitionKey"], token_row["RowKey"])
            except ResourceNotFoundError:
                await table.upsert_entity({**token_row, "token": ""}, mode=UpdateMode.REPLACE)

    async def close(self) -> None:
        if not self._closed:
            await self._storage.close()
        self._closed = True
