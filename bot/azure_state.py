"""The bot's state in Azure Table storage, shared by every bot instance (DX_STATE_STORE=azure).

One table, `<prefix>botstate`:
- partition `state` holds sent cards (`card|…`), kept values (`value|space|key`) and outbox work
  (`work|…`), so that `commit` writes them in one entity group transaction, which Azure applies
  all or nothing within a partition. A transaction holds at most 100 entities (and 4 MiB): a
  turn's commit fits; a larger one (a watch's first look at a list) is written in parts, in the
  order work, cards, values as given, so a caller that keeps a cursor among its values puts it
  last and a part that never landed is read again;
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
import time
from dataclasses import asdict
from typing import Any, Mapping, Sequence

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from azurestore import StateStorage, TooLarge, json_from_entity, json_properties, table_key, transactions
from azurestore.retry import when_busy
from azurestore.tables import bounded, rows
from bot.conversations import ConversationReference
from bot.outbox import OutboxItem
from bot.sent_cards import SentCard
from bot.state import Work

STATE = "state"
CONVERSATIONS = "conversations"
_RETRIES = 8  # a commit re-read after another instance changed what it read
# A reference is rewritten at least this often although unchanged, so one that another
# instance forgot (its conversation answered 403) comes back when the person talks again.
REMEMBER_SECONDS = 300.0


async def _delete_all(table: TableClient, partition: str, row_keys: Sequence[str]) -> int:
    """Delete entities of one partition, a transaction per hundred; how many were there to
    delete (another instance pruning at the same moment takes some first)."""
    deleted = 0
    for part in transactions([("delete", {"PartitionKey": partition, "RowKey": k}) for k in row_keys]):
        try:
            await when_busy(lambda: table.submit_transaction(part))
            deleted += len(part)
        except TableTransactionError as exc:  # some already gone: the rest one by one
            if getattr(exc, "error_code", None) != "ResourceNotFound":
                raise
            for op in part:
                try:  # a transaction of one says whether it was there (delete_entity does not)
                    await when_busy(lambda: table.submit_transaction([op]))
                    deleted += 1
                except TableTransactionError as one:
                    if getattr(one, "error_code", None) != "ResourceNotFound":
                        raise
    return deleted


def _card_row(card_id: str) -> str:
    return table_key("card", card_id)


def _value_row(space: str, key: str) -> str:
    return table_key("value", space, key)


def _work_row(key: str) -> str:
    return table_key("work", key)


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
        old = [e["RowKey"] async for e in rows(table, STATE, "card", "sent_at lt @before", before=sent_before)]
        return await _delete_all(table, STATE, old)


class TableConversationStore:
    """References of everyone the bot talks to; a write only when one is new or changed."""

    def __init__(self, storage: StateStorage, *, refresh_seconds: float = REMEMBER_SECONDS) -> None:
        self._storage, self._refresh = storage, refresh_seconds
        self._known: dict[tuple[str, str], tuple[ConversationReference, float]] = {}

    async def remember(self, reference: ConversationReference) -> None:
        key = (reference.user_key, reference.conversation_id)
        known = self._known.get(key)
        if known is not None and known[0] == reference and time.monotonic() - known[1] < self._refresh:
            return
        table = await self._storage.table("botstate")
        await table.upsert_entity({
            "PartitionKey": CONVERSATIONS, "RowKey": table_key(reference.user_key, reference.conversation_id),
            "conversation_id": reference.conversation_id, **json_properties(asdict(reference))},
            mode=UpdateMode.REPLACE)
        self._known[key] = (reference, time.monotonic())

    async def of_user(self, user_key: str) -> list[ConversationReference]:
        table = await self._storage.table("botstate")
        try:
            prefix = table_key(user_key)
        except TooLarge:
            return []  # a key no table holds was never remembered
        found = [ConversationReference(**json_from_entity(e)) async for e in rows(table, CONVERSATIONS, prefix)]
        return sorted(found, key=lambda r: r.conversation_id)  # as SQLite orders them

    async def forget(self, conversation_id: str) -> None:
        table = await self._storage.table("botstate")
        found = [e["RowKey"] async for e in rows(table, CONVERSATIONS, where="conversation_id eq @c",
                                                 c=conversation_id)]
        for row in found:  # one person's reference each: a partition of its own is not needed
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
            await when_busy(lambda: table.create_entity(entity))
        except ResourceExistsError:
            return False
        return True

    async def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        table = await self._storage.table("botstate")
        ready = [e async for e in rows(table, STATE, "work", "state eq 'pending' and due le @now", now=float(now))]
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

    async def _change(self, key: str, *, attempt: int = 0, only_pending: bool = True, **changes: Any) -> None:
        """Read, change and write back the item, unless another instance changed it in between
        (its ETag decides; then read again). A retry or a hand-back never brings back an item
        another instance has delivered or set aside in the meantime (`only_pending`)."""
        table = await self._storage.table("botstate")
        for _ in range(_RETRIES):
            try:
                entity = await table.get_entity(STATE, _work_row(key))
            except ResourceNotFoundError:
                return
            if only_pending and entity["state"] != "pending":
                return
            changed = {**entity, **changes, "attempts": int(entity["attempts"]) + attempt}
            try:
                await table.update_entity(changed, mode=UpdateMode.REPLACE, etag=entity.metadata["etag"],
                                          match_condition=MatchConditions.IfNotModified)
                return
            except ResourceModifiedError:
                continue
            except ResourceNotFoundError:
                return
        raise RuntimeError(f"outbox item {key!r} kept changing under this update")

    async def delivered(self, key: str, *, now: float = 0.0) -> None:
        await self._change(key, only_pending=False, state="delivered", due=float(now), error="")

    async def postpone(self, key: str, until: float, error: str) -> None:
        await self._change(key, attempt=1, due=float(until), error=error)

    async def set_aside(self, key: str, error: str) -> None:
        await self._change(key, attempt=1, error=error, state="set aside")

    async def pending(self) -> int:
        table = await self._storage.table("botstate")
        return len([e async for e in rows(table, STATE, "work", "state eq 'pending'")])

    async def prune(self, before: float) -> int:
        table = await self._storage.table("botstate")
        old = [e["RowKey"] async for e in rows(table, STATE, "work", "state eq 'delivered' and due lt @before",
                                                 before=float(before))]
        return await _delete_all(table, STATE, old)

    async def close(self) -> None:
        """The storage is closed with the state."""


class TableBotState:
    """`BotState` over one Azure Storage account, shared by every instance that opens it."""

    def __init__(self, storage: StateStorage) -> None:
        self._storage = storage
        self._closed = False
        self.conversations = TableConversationStore(storage)
        self.cards = TableSentCards(storage)
        self.outbox = TableOutbox(storage)
        self.enqueued = asyncio.Event()

    async def value(self, space: str, key: str) -> Any:
        table = await self._storage.table("botstate")
        try:
            return json_from_entity(await table.get_entity(STATE, _value_row(space, key)))
        except (ResourceNotFoundError, TooLarge):  # TooLarge: a key no table holds was never kept
            return None

    async def values(self, space: str) -> dict[str, Any]:
        table = await self._storage.table("botstate")
        try:
            prefix = table_key("value", space)
        except TooLarge:
            return {}
        found = {e["key"]: json_from_entity(e) async for e in rows(table, STATE, prefix)}
        return dict(sorted(found.items()))

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     values: Mapping[tuple[str, str], Any] | None = None,
                     now: float) -> list[bool]:
        # Every entity is built (and every payload serialised) before anything is sent: a value
        # that cannot be stored fails the commit with nothing written.
        work_rows: dict[str, dict[str, Any]] = {}
        for w in work:  # a payload that is not JSON raises TypeError here, as SQLite's would
            work_rows.setdefault(_work_row(w.key), _work_entity(w, now))
        card_rows = {_card_row(c.card_id): _card_entity(c) for c in cards}
        value_rows: dict[str, dict[str, Any] | None] = {}  # None: drop it
        for (space, key), value in (values or {}).items():
            row = _value_row(space, key)
            value_rows[row] = None if value is None else {
                "PartitionKey": STATE, "RowKey": row, "space": space, "key": key, "saved_at": float(now),
                **json_properties(value)}
        table = await self._storage.table("botstate")
        created: set[str] = set()  # work this commit enqueued, across parts and retries
        for _ in range(_RETRIES):
            unsure = [r for r in work_rows if r not in created] + [r for r, e in value_rows.items() if e is None]
            present = await _present(table, unsure)
            ops: list[tuple[Any, ...]] = [("create", work_rows[r]) for r in work_rows
                                          if r not in created and r not in present]
            ops += [("upsert", e, {"mode": UpdateMode.REPLACE}) for e in card_rows.values()]
            ops += [("upsert", e, {"mode": UpdateMode.REPLACE}) if e is not None
                    else ("delete", {"PartitionKey": STATE, "RowKey": r})
                    for r, e in value_rows.items() if e is not None or r in present]
            try:
                for part in transactions(ops):
                    await when_busy(lambda: table.submit_transaction(part))
                    created.update(op[1]["RowKey"] for op in part if op[0] == "create")
            except TableTransactionError as exc:
                if getattr(exc, "error_code", None) in ("EntityAlreadyExists", "ResourceNotFound"):
                    continue  # another instance enqueued or dropped the same thing: read again
                raise
            added = [False] * len(work)
            fresh = set(created)
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
        if not self._closed:
            await self._storage.close()
        self._closed = True


async def _present(table: TableClient, row_keys: Sequence[str]) -> set[str]:
    """Which of `row_keys` (of partition `state`) exist now."""

    async def exists(row: str) -> str | None:
        try:
            await table.get_entity(STATE, row, select=["RowKey"])
        except ResourceNotFoundError:
            return None
        return row

    return {r for r in await bounded(exists, row_keys) if r is not None}
