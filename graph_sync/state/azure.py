"""The sync state in Azure Table storage (`<prefix>syncstate`), shared by sync workers on several
machines (DX_STATE_STORE=azure); the blob lease of `azurestore.lease` keeps their runs apart.

Partitions: `mirror|<list>` (an item a row), `members|<resource>` (a user of a group a row),
`cursors` and `runs`. Azure keeps a transaction within one partition and to 100 entities
(https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions), so a
40,000-item mirror cannot change in one. The checkpoint rules of `graph_sync.state` hold by order
instead: rows leave the mirror first, then the changed rows are written, and the cursor moves
last. A run killed in between leaves the cursor where it was, and the next run's feed read from
it writes the same rows again; the mirror is never level with a cursor it did not reach.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableEntity, UpdateMode
from azure.data.tables.aio import TableClient

from azurestore import StateStorage, json_from_entity, json_properties, table_key, transactions
from azurestore.retry import when_busy
from azurestore.tables import bounded, rows, submit_all
from config.clock import Clock, iso_seconds, utc_now
from graph_sync.state.protocol import RunRecord

TABLE = "syncstate"
POINT_READS = 100  # up to this many keys are read one by one; more, by reading the partition
_RUN_IDS = 10**10  # run rows sort newest first: RowKey run|(_RUN_IDS - id)


def _mirror(list_name: str) -> str:
    return table_key("mirror", list_name)


def _members(resource: str) -> str:
    return table_key("members", resource)


def _run_row(run_id: int) -> str:
    return f"run|{_RUN_IDS - run_id:010d}"


def _run_of(entity: Mapping[str, Any]) -> RunRecord:
    report = json_from_entity(entity) if "json0" in entity else None
    return RunRecord(int(entity["id"]), entity["job"], entity["started_at"], entity.get("finished_at") or None,
                     entity["status"], report)


class TableSyncState:
    """`SyncState` over one Azure Storage account; `clock` stamps cursors and runs."""

    def __init__(self, storage: StateStorage, clock: Clock = utc_now) -> None:
        self._storage, self._clock = storage, clock
        self._closed = False

    async def close(self) -> None:
        if not self._closed:
            await self._storage.close()
        self._closed = True

    def _now(self) -> str:
        return iso_seconds(self._clock())

    async def _table(self) -> TableClient:
        return await self._storage.table(TABLE)

    async def _rows(self, partition: str, select: Sequence[str] | None = None) -> list[TableEntity]:
        return [e async for e in rows(await self._table(), partition, select=select)]

    async def _write(self, partition: str, entities: Sequence[dict[str, Any]], gone: Iterable[str] = ()) -> None:
        """Delete the rows `gone` (that exist), then upsert `entities`, in transactions."""
        table = await self._table()
        await submit_all(table, transactions([("delete", {"PartitionKey": partition, "RowKey": k}) for k in gone]))
        await submit_all(table, transactions([("upsert", e, {"mode": UpdateMode.REPLACE}) for e in entities]))

    async def _set_cursor(self, name: str, token: str) -> None:
        table = await self._table()
        await table.upsert_entity({"PartitionKey": "cursors", "RowKey": table_key(name), "token": token,
                                   "updated_at": self._now()}, mode=UpdateMode.REPLACE)

    # ---- mirror and cursor ----------------------------------------------------------------

    async def cursor(self, list_name: str) -> str | None:
        table = await self._table()
        try:
            return str((await table.get_entity("cursors", table_key(list_name)))["token"])
        except ResourceNotFoundError:
            return None

    async def mirror(self, list_name: str) -> dict[str, Mapping[str, Any]]:
        return {e["key"]: json_from_entity(e) for e in await self._rows(_mirror(list_name))}

    async def mirror_values(self, list_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(keys))
        if len(wanted) > POINT_READS:
            every = await self.mirror(list_name)
            return {k: dict(every[k]) for k in wanted if k in every}
        table, partition = await self._table(), _mirror(list_name)

        async def read(key: str) -> tuple[str, dict[str, Any] | None]:
            try:
                return key, json_from_entity(await table.get_entity(partition, table_key(key)))
            except ResourceNotFoundError:
                return key, None

        return {k: v for k, v in await bounded(read, wanted) if v is not None}

    async def apply_changes(self, list_name: str, changed: Mapping[str, Mapping[str, Any]], deleted: Iterable[str],
                            token: str, *, full: bool) -> None:
        partition = _mirror(list_name)
        dropped = set(deleted)  # a key both changed and deleted in one feed ends deleted
        kept = [{"PartitionKey": partition, "RowKey": table_key(k), "key": k, **json_properties(v)}
                for k, v in changed.items() if k not in dropped]
        keep = {r["RowKey"] for r in kept}
        present = [e["RowKey"] for e in await self._rows(partition, ["RowKey"])]
        if full:
            gone = [k for k in present if k not in keep]
        else:
            escaped = {table_key(k) for k in dropped}
            gone = [k for k in present if k in escaped]
        await self._write(partition, kept, gone)
        await self._set_cursor(list_name, token)

    async def record_writes(self, list_name: str, written: Mapping[str, Mapping[str, Any]],
                            removed: Iterable[str]) -> None:
        partition = _mirror(list_name)
        dropped = set(removed)
        before = await self.mirror_values(list_name, written)
        # Built before anything is written: a value that cannot be stored fails the call whole.
        merged = [{"PartitionKey": partition, "RowKey": table_key(k), "key": k,
                   **json_properties({**before.get(k, {}), **fields})}
                  for k, fields in written.items() if k not in dropped]
        gone: list[str] = []
        if dropped:
            escaped = {table_key(k) for k in dropped}
            gone = [e["RowKey"] for e in await self._rows(partition, ["RowKey"]) if e["RowKey"] in escaped]
        await self._write(partition, merged, gone)

    # ---- Entra ID group membership -----------------------------------------------------------

    async def group_members(self, resource: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for e in await self._rows(_members(resource)):
            out.setdefault(e["group_id"], {})[e["user_id"]] = e["staff_number"]
        return out

    async def save_group_members(self, resource: str, members: Mapping[str, Mapping[str, str]],
                                 token: str) -> None:
        partition = _members(resource)
        users = [{"PartitionKey": partition, "RowKey": table_key(g, u), "group_id": g,
                  "user_id": u, "staff_number": n} for g, ids in members.items() for u, n in ids.items()]
        keep = {r["RowKey"] for r in users}
        gone = [e["RowKey"] for e in await self._rows(partition, ["RowKey"]) if e["RowKey"] not in keep]
        await self._write(partition, users, gone)
        await self._set_cursor(f"entra:{resource}", token)

    # ---- runs --------------------------------------------------------------------------------

    async def _next_run_id(self, table: TableClient) -> int:
        """One more than the last run id, taken by one worker only (the counter's ETag decides)."""
        while True:
            try:
                counter = await table.get_entity("runs", "counter")
            except ResourceNotFoundError:
                try:
                    await when_busy(lambda: table.create_entity({"PartitionKey": "runs", "RowKey": "counter",
                                                                 "last": 1}))
                    return 1
                except ResourceExistsError:
                    continue
            taken = int(counter["last"]) + 1
            try:
                await table.update_entity({**counter, "last": taken}, mode=UpdateMode.REPLACE,
                                          etag=counter.metadata["etag"], match_condition=MatchConditions.IfNotModified)
                return taken
            except ResourceModifiedError:
                continue

    async def start_run(self, job: str) -> tuple[int, list[RunRecord]]:
        table = await self._table()
        latest = await self._latest(table, 50)
        unfinished = []
        for e in latest:
            if e["status"] != "running":
                continue
            try:  # unless it finished meanwhile (the lease keeps runs apart; this keeps its word)
                await table.update_entity({**e, "status": "interrupted"}, mode=UpdateMode.REPLACE,
                                          etag=e.metadata["etag"], match_condition=MatchConditions.IfNotModified)
            except ResourceModifiedError:
                continue
            unfinished.append(e)
        run_id = await self._next_run_id(table)
        row = {"PartitionKey": "runs", "RowKey": _run_row(run_id), "id": run_id, "job": job,
               "started_at": self._now(), "finished_at": "", "status": "running"}
        await when_busy(lambda: table.create_entity(row))
        return run_id, [_run_of(e) for e in unfinished]

    async def finish_run(self, run_id: int, status: str, report: Mapping[str, Any]) -> None:
        table = await self._table()
        stored = json_properties(report)
        entity = await table.get_entity("runs", _run_row(run_id))
        if entity["status"] != "running":
            return
        try:  # only if no other run marked it interrupted meanwhile
            await table.update_entity({**{k: v for k, v in entity.items() if not k.startswith("json")},
                                       "finished_at": self._now(), "status": status, **stored},
                                      mode=UpdateMode.REPLACE, etag=entity.metadata["etag"],
                                      match_condition=MatchConditions.IfNotModified)
        except ResourceModifiedError:
            return

    async def runs(self, limit: int = 10) -> list[RunRecord]:
        return [_run_of(e) for e in await self._latest(await self._table(), limit)]

    async def _latest(self, table: TableClient, limit: int) -> list[TableEntity]:
        out: list[TableEntity] = []
        async for e in rows(table, "runs", "run", per_page=limit):
            out.append(e)
            if len(out) == limit:
                break
        return out

