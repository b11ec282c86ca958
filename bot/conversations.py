"""Conversation references of everyone who talks to the bot, for later proactive messages.

A reference is what Bot Connector needs to write into a conversation without being asked
(service URL, conversation, bot and user ids). Kept in SQLite under DX_DATA_DIR, behind the
`ConversationStore` protocol so that a store shared by several instances can take its place.
Only a change is written: the same
person in the same conversation on the same service URL costs nothing after the first turn.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping, Protocol

from liststore.sqlitedb import connect, write_transaction


@dataclass(frozen=True, slots=True)
class ConversationReference:
    """Where to reach one person in one conversation."""

    user_key: str  # the Entra object id when the channel gives it, else the channel's user id
    conversation_id: str
    service_url: str
    channel_id: str
    bot_id: str
    user_id: str
    conversation_kind: str
    tenant_id: str | None = None

    @classmethod
    def from_activity(cls, activity: Mapping[str, Any]) -> "ConversationReference | None":
        """The reference of an incoming activity; None when it lacks what a reply needs."""
        sender = activity.get("from") or {}
        conversation = activity.get("conversation") or {}
        recipient = activity.get("recipient") or {}
        if not (sender.get("id") and conversation.get("id") and activity.get("serviceUrl")):
            return None
        tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id") or conversation.get("tenantId")
        return cls(sender.get("aadObjectId") or sender["id"], conversation["id"],
                   activity["serviceUrl"], str(activity.get("channelId") or ""),
                   str(recipient.get("id") or ""), sender["id"],
                   conversation.get("conversationType") or "personal", tenant)


class ConversationStore(Protocol):
    """Where references live (SQLite, or memory in tests)."""

    async def remember(self, reference: ConversationReference) -> None: ...
    async def of_user(self, user_key: str) -> list[ConversationReference]: ...
    async def forget(self, conversation_id: str) -> None:
        """Drop every reference into a conversation the bot can no longer write to."""
        ...
    async def close(self) -> None: ...


class MemoryConversationStore:
    """The in-memory twin."""

    def __init__(self) -> None:
        self._refs: dict[tuple[str, str], ConversationReference] = {}

    async def remember(self, reference: ConversationReference) -> None:
        self._refs[(reference.user_key, reference.conversation_id)] = reference

    async def of_user(self, user_key: str) -> list[ConversationReference]:
        return [r for (u, _), r in sorted(self._refs.items()) if u == user_key]

    async def forget(self, conversation_id: str) -> None:
        self._refs = {k: r for k, r in self._refs.items() if k[1] != conversation_id}

    async def close(self) -> None:
        """Nothing to release."""


class SqliteConversationStore:
    """References in one SQLite file; writes only when a reference is new or changed."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path, check_same_thread=False)
        with write_transaction(self._db):
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS conversation_refs (user_key TEXT NOT NULL, "
                "conversation_id TEXT NOT NULL, reference TEXT NOT NULL, "
                "PRIMARY KEY (user_key, conversation_id))")
        self._known: dict[tuple[str, str], ConversationReference] = {}
        self._lock = asyncio.Lock()

    async def remember(self, reference: ConversationReference) -> None:
        key = (reference.user_key, reference.conversation_id)
        if self._known.get(key) == reference:
            return
        async with self._lock:
            await asyncio.to_thread(self._write, reference)
        self._known[key] = reference

    def _write(self, reference: ConversationReference) -> None:
        with write_transaction(self._db):
            self._db.execute(
                "INSERT INTO conversation_refs VALUES (?, ?, ?) ON CONFLICT (user_key, conversation_id) "
                "DO UPDATE SET reference = excluded.reference",
                (reference.user_key, reference.conversation_id,
                 json.dumps(_as_dict(reference), ensure_ascii=False)))

    async def of_user(self, user_key: str) -> list[ConversationReference]:
        rows = await asyncio.to_thread(lambda: self._db.execute(
            "SELECT reference FROM conversation_refs WHERE user_key = ? ORDER BY conversation_id",
            (user_key,)).fetchall())
        return [ConversationReference(**json.loads(r[0])) for r in rows]

    async def forget(self, conversation_id: str) -> None:
        async with self._lock:
            await asyncio.to_thread(self._forget, conversation_id)
        self._known = {k: r for k, r in self._known.items() if k[1] != conversation_id}

    def _forget(self, conversation_id: str) -> None:
        with write_transaction(self._db):
            self._db.execute("DELETE FROM conversation_refs WHERE conversation_id = ?", (conversation_id,))

    async def close(self) -> None:
        self._db.close()


def _as_dict(reference: ConversationReference) -> dict[str, Any]:
    return {f.name: getattr(reference, f.name) for f in fields(reference)}
