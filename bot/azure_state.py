"""The bot's state in Azure Table storage, shared by every bot instance (DX_STATE_STORE=azure).

One table, `<prefix>botstate`:
- partition `state` holds sent cards (`card|…`), kept values (`value|space|key`) and outbox work
  (`work|…`), so that `commit` writes them in one entity group transaction, which Azure applies
  all or nothing within a partition (at most 100 entities);
- partition `conversations` holds conversation references (`user|conversation`).

Transactions: https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions

Several instances deliver from the one outbox: a worker claims each item before delivering it
(an update conditional on the entity's ETag), so two instances never take the same item at
once, and an item whose instance died is taken again once the claim runs out. Handlers are
keyed by the work's key, so an item delivered twice after such a crash still has one effect.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import asdict
from typing import Any, AsyncIterator, Mapping, Sequence

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from azurestore import StateStorage, TooLarge, escape_key, json_from_entity, json_properties
from bot.conversations import ConversationReference
from bot.outbox import OutboxItem
from bot.sent_cards import SentCard
from bot.state import Work

STATE = "state"
CONVERSATIONS = "conversations"
MAX_TRANSACTION = 100  # entities in one entity group transaction
_RETRIES = 8  # a commit re-read after another instance changed what it read
_END = "}"  # sorts right after "|": the end of a key range "prefix|"…


def _range(prefix: str) -> tuple[str, dict[str, str]]:
    return ("PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            {"lo": f"{prefix}|", "hi": f"{prefix}{_END}"})


async def _query(table: TableClient, partition: str, prefix: str, extra: str = "",
                 **params: Any) -> AsyncIterator[dict[str, Any]]:
    where, bounds = _range(prefix)
    async for entity in table.query_entities(where + (f" and {extra}" if extra else ""),
                                             parameters={"pk": partition, **bounds, **params}):
        yield entity


async def _delete_all(table: TableClient, partition: str, row_keys: Sequence[str]) -> int:
    """Delete entities of one partition, a transaction per hundred; how many."""
    for start in range(0, len(row_keys), MAX_TRANSACTION):
        chunk = row_keys[start:start + MAX_TRANSACTION]
        await table.submit_transaction([("delete", {"PartitionKey": partition, "RowKey": k}) for k in chunk])
    return len(row_keys)


def _card_row(card_id: str) -> str:
    return f"card|{escape_key(card_id)}"


def _value_row(space: str, key: str) -> str:
    return f"value|{escape_key(space)}|{escape_key(key)}"


def _work_row(key: str) -> str:
    return f"work|{escape_key(key)}"


_sequence = itertools.count()


def _seq() -> str:
    """Enqueue order across instances: the wall clock in nanoseconds, then this process's count."""
    return f"{time.time_ns():020d}{next(_sequence) % 10**6:06d}"


def _card_entity(card: SentCard) -> dict[str, Any]:
    return {"PartitionKey": STATE, "RowKey": _card_row(card.card_id), "sent_at": card.sent_at,
            **json_properties(asdict(card))}


def _card_of(entity: Mapping[str, Any]) -> SentCard:
    raw = json_from_entity(entity)
    raw["candidates"] = tuple(raw.get("candidates") or ())
    return SentCard(**raw)


def _work_entity(work: Work, now: float) -> dict[str, Any]:
    return {"PartitionKey": STATE, "RowKey": _work_row(work.key), "key": work.key, "kind": work.kind,
            "attempts": 0, "due": float(now), "error": "", "state": "pending", "seq": _seq(),
            **json_properties(work.payload)}


def _item_of(entity: Mapping[str, Any]) -> OutboxItem:
    return OutboxItem(entity["key"], entity["kind"], json_from_entity(entity), int(entity["attempts"]),
                      float(entity["due"]), entity.get("error") or None)


class TableSentCards:
    def __init__(self, storage: StateStorage) -> None:
        self._storage = storage

    async def get(self, card_id: str) -> SentCard | None:
        table = await self._storage.table("botstate")
        try:
            return _card_of(await table.get_entity(STATE, _card_row(card_id)))
        except ResourceNotFoundError:
            return None

    async def prune(self, sent_before: str) -> int:
        table = await self._storage.table("botstate")
        old = [e["RowKey"] async for e in _query(table, STATE, "card", "sent_at lt @before", before=sent_before)]
        return await _delete_all(table, STATE, old)


class TableConversationStore:
    """References of everyone the bot talks to; a write only when one is new or changed."""

    def __init__(self, storage: StateStorage) -> None:
        self._storage = storage
        self._known: dict[tuple[str, str], ConversationReference] = {}

    async def remember(self, reference: ConversationReference) -> None:
        key = (reference.user_key, reference.conversation_id)
        if self._known.get(key) == reference:
            return
        table = await self._storage.table("botstate")
        await table.upsert_entity({
            "PartitionKey": CONVERSATIONS,
            "RowKey": f"{escape_key(reference.user_key)}|{escape_key(reference.conversation_id)}",
            "conversation_id": reference.conversation_id, **json_properties(asdict(reference))},
            mode=UpdateMode.REPLACE)
        self._known[key] = reference

    async def of_user(self, user_key: str) -> list[ConversationReference]:
        table = await self._storage.table("botstate")
        return [ConversationReference(**json_from_entity(e))
                async for e in _query(table, CONVERSATIONS, escape_key(user_key))]

    async def forget(self, conversation_id: str) -> None:
        table = await self._storage.table("botstate")
        rows = [e["RowKey"] async for e in table.query_entities(
            "PartitionKey eq @pk and conversation_id eq @c", parameters={"pk": CONVERSATIONS, "c": conversation_id})]
        for row in rows:  # one person's reference each: a partition of its own is not needed
            try:
                await table.delete_entity(CONVERSATIONS, row)
            except ResourceNotFoundError:
                pass
        self._known = {k: r for k, r in self._known.items() if k[1] != conversation_id}

    async def close(self) -> None:
        """The storage is closed with the state."""


class TableOutbox:
    """Outbox work in partition `state`, claimed before delivery (see the module's docstring)."""

    def __init__(self, storage: StateStorage) -> None:
        self._storage = storage

    async def enqueue(self, key: str, kind: str, payload: Mapping[str, Any], *, now: float) -> bool:
        entity = _work_entity(Work(key, kind, payload), now)
        table = await self._storage.table("botstate")
        try:
            await table.create_entity(entity)
        except ResourceExistsError:
            return False
        return True

    async def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        table = await self._storage.table("botstate")
        ready = [e async for e in _query(table, STATE, "work", "state eq 'pending' and due le @now", now=float(now))]
        ready.sort(key=lambda e: (e["due"], e["seq"]))
        return [_item_of(e) for e in ready[:limit]]

    async def claim(self, key: str, *, now: float, until: float) -> bool:
        table = await self._storage.table("botstate")
        try:
            entity = await table.get_entity(STATE, _work_row(key))
        except ResourceNotFoundError:
            return False
        if entity["state"] != "pending" or entity["due"] > now:
            return False
        try:  # only if nobody changed it since it was read: of two instances, one wins
            await table.update_entity({**entity, "due": float(until)}, mode=UpdateMode.REPLACE,
                                      etag=entity.metadata["etag"], match_condition=MatchConditions.IfNotModified)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    async def _change(self, key: str, **changes: Any) -> None:
        table = await self._storage.table("botstate")
        try:
            entity = await table.get_entity(STATE, _work_row(key))
        except ResourceNotFoundError:
            return
        changes["attempts"] = int(entity["attempts"]) + changes.pop("attempt", 0)
        await table.update_entity({**entity, **changes}, mode=UpdateMode.REPLACE)

    async def delivered(self, key: str, *, now: float = 0.0) -> None:
        await self._change(key, state="delivered", due=float(now), error="")

    async def postpone(self, key: str, until: float, error: str) -> None:
        await self._change(key, attempt=1, due=float(until), error=error)

    async def set_aside(self, key: str, error: str) -> None:
        await self._change(key, attempt=1, error=error, state="set aside")

    async def pending(self) -> int:
        table = await self._storage.table("botstate")
        return len([e async for e in _query(table, STATE, "work", "state eq 'pending'")])

    async def prune(self, before: float) -> int:
        table = await self._storage.table("botstate")
        old = [e["RowKey"] async for e in _query(table, STATE, "work", "state eq 'delivered' and due lt @before",
                                                 before=float(before))]
        return await _delete_all(table, STATE, old)

    async def close(self) -> None:
        """The storage is closed with the state."""


class TableBotState:
    """`BotState` over one Azure Storage account, shared by every instance that opens it."""

    def __init__(self, storage: StateStorage, *, owns_storage: bool = True) -> None:
        self._storage = storage
        self._owns = owns_storage
        self._closed = False
        self.conversations = TableConversationStore(storage)
        self.cards = TableSentCards(storage)
        self.outbox = TableOutbox(storage)
        self.enqueued = asyncio.Event()

    async def value(self, space: str, key: str) -> Any:
        table = await self._storage.table("botstate")
        try:
            return json_from_entity(await table.get_entity(STATE, _value_row(space, key)))
        except ResourceNotFoundError:
            return None

    async def values(self, space: str) -> dict[str, Any]:
        table = await self._storage.table("botstate")
        found = {e["key"]: json_from_entity(e) async for e in _query(table, STATE, f"value|{escape_key(space)}")}
        return dict(sorted(found.items()))

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     values: Mapping[tuple[str, str], Any] | None = None,
                     now: float) -> list[bool]:
        # Every entity is built (and every payload serialised) before anything is sent: a value
        # that cannot be stored fails the commit with nothing written.
        rows: dict[str, dict[str, Any]] = {}
        for card in cards:
            rows[_card_row(card.card_id)] = _card_entity(card)
        dropped: list[str] = []
        for (space, key), value in (values or {}).items():
            row = _value_row(space, key)
            if value is None:
                dropped.append(row)
            else:
                rows[row] = {"PartitionKey": STATE, "RowKey": row, "space": space, "key": key,
                             "saved_at": float(now), **json_properties(value)}
        new_work: dict[str, dict[str, Any]] = {}
        for w in work:
            json.dumps(w.payload)  # the TypeError a payload that is not JSON raises, as SQLite's
            new_work.setdefault(_work_row(w.key), _work_entity(w, now))
        table = await self._storage.table("botstate")
        for _ in range(_RETRIES):
            taken = set()
            for row in new_work:
                if await _exists(table, row):
                    taken.add(row)
            gone = [row for row in dropped if await _exists(table, row)]
            ops: list[tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]] = [
                ("upsert", entity, {"mode": UpdateMode.REPLACE}) for entity in rows.values()]
            ops += [("delete", {"PartitionKey": STATE, "RowKey": row}) for row in gone if row not in rows]
            ops += [("create", entity) for row, entity in new_work.items() if row not in taken]
            if len(ops) > MAX_TRANSACTION:
                raise TooLarge(f"a commit of {len(ops)} entities (at most {MAX_TRANSACTION} are kept together)")
            if ops:
                try:
                    await table.submit_transaction(ops)
                except TableTransactionError as exc:
                    if getattr(exc, "error_code", None) in ("EntityAlreadyExists", "ResourceNotFound"):
                        continue  # another instance enqueued or dropped the same thing: read again
                    raise
            added = [False] * len(work)
            fresh = {row for row in new_work if row not in taken}
            for i, w in enumerate(work):
                row = _work_row(w.key)
                if row in fresh:
                    added[i] = True
                    fresh.discard(row)  # the same key twice in one commit: the first one is new
            if any(added):
                self.enqueued.set()
            return added
        raise RuntimeError("the bot state kept changing under this commit")

    async def close(self) -> None:
        if not self._closed and self._owns:
            await self._storage.close()
        self._closed = True


async def _exists(table: TableClient, row: str) -> bool:
    try:
        await table.get_entity(STATE, row, select=["RowKey"])
    except ResourceNotFoundError:
        return False
    return True
