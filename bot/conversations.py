"""Conversation references of everyone who talks to the bot, for later proactive messages.

A reference is what Bot Connector needs to write into a conversation without being asked
(service URL, conversation, bot and user ids). Kept in SQLite under DX_DATA_DIR, behind the
`ConversationStore` protocol so that a store shared by several instances can take its place.
Only a change is written: the same
person in the same conversation on the same service URL costs nothing after the first turn.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from liststore.sqlitedb import SqliteThread, write_transaction

if TYPE_CHECKING:
    from bot.turn import Turn


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

    def in_channel(self, channel_id: str) -> "ConversationReference":
        """A channel reached through the same service, bot and tenant (a post of its own there)."""
        return ConversationReference("", channel_id, self.service_url, self.channel_id, self.bot_id, "", "channel",
                                     self.tenant_id)

    @classmethod
    def of(cls, turn: Turn) -> "ConversationReference":
        """The reference of the conversation a turn came from."""
        return cls(turn.sender.key, turn.conversation_id, turn.activity.service_url,
                   turn.activity.channel_id or "", turn.recipient_id or "", turn.sender.id,
                   turn.conversation_kind, turn.tenant_id)


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


CONVERSATIONS_DDL = """
CREATE TABLE IF NOT EXISTS conversation_refs (
    user_key TEXT NOT NULL, conversation_id TEXT NOT NULL, reference TEXT NOT NULL,
    PRIMARY KEY (user_key, conversation_id)
);
"""


class SqliteConversationStore:
    """References in the bot's state file; writes only when a reference is new or changed."""

    def __init__(self, db: SqliteThread | Path) -> None:
        self._owned = isinstance(db, Path)
        self._db = SqliteThread(db) if isinstance(db, Path) else db
        self._db.create(CONVERSATIONS_DDL)
        self._known: dict[tuple[str, str], ConversationReference] = {}

    async def remember(self, reference: ConversationReference) -> None:
        key = (reference.user_key, reference.conversation_id)
        if self._known.get(key) == reference:
            return
        row = (reference.user_key, reference.conversation_id,
               json.dumps(_as_dict(reference), ensure_ascii=False))

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn) as db:
                db.execute("INSERT INTO conversation_refs VALUES (?, ?, ?) ON CONFLICT (user_key, "
                           "conversation_id) DO UPDATE SET reference = excluded.reference", row)

        await self._db.run(write)
        self._known[key] = reference

    async def of_user(self, user_key: str) -> list[ConversationReference]:
        rows = await self._db.run(lambda db: db.execute(
            "SELECT reference FROM conversation_refs WHERE user_key = ? ORDER BY conversation_id",
            (user_key,)).fetchall())
        return [ConversationReference(**json.loads(r[0])) for r in rows]

    async def forget(self, conversation_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn) as db:
                db.execute("DELETE FROM conversation_refs WHERE conversation_id = ?", (conversation_id,))

        await self._db.run(write)
        self._known = {k: r for k, r in self._known.items() if k[1] != conversation_id}

    async def close(self) -> None:
        if self._owned:
            await self._db.close()


def _as_dict(reference: ConversationReference) -> dict[str, Any]:
    return {f.name: getattr(reference, f.name) for f in fields(reference)}
