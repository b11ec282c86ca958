"""The bot's own state: conversation references, the cards it sent, drafts people are writing,
and its outbox.

`BotState.commit` writes sent cards and drafts and enqueues outbox work in one transaction, so the
bookkeeping of a turn and the work it promised (a question to record in the Questions list, a
message to send) are kept together or not at all: a crash between them cannot leave a card
whose question is never recorded, nor a question recorded for a card nobody saw.

`SqliteBotState` keeps all of it in one file (DX_DATA_DIR/bot-state.sqlite3);
`MemoryBotState` is the twin for tests and the memory store. A state shared by several bot
instances must pass the same contract suite (tests/bot/test_bot_state.py).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

from bot.conversations import ConversationStore, MemoryConversationStore, SqliteConversationStore
from bot.outbox import MemoryOutbox, Outbox, SqliteOutbox, enqueue_in
from bot.sent_cards import MemorySentCards, SentCard, SentCards, SqliteSentCards, put_in
from liststore.sqlitedb import SqliteThread, write_transaction


@dataclass(frozen=True, slots=True)
class Work:
    """One piece of outbox work: its idempotency key, its kind (which handler) and payload."""

    key: str
    kind: str
    payload: Mapping[str, Any]


class BotState(Protocol):
    @property
    def conversations(self) -> ConversationStore: ...

    @property
    def cards(self) -> SentCards: ...

    @property
    def outbox(self) -> Outbox: ...

    async def draft(self, owner: str, kind: str) -> dict[str, Any] | None:
        """What `owner` last typed into a form of this kind and did not send (None: nothing)."""
        ...

    @property
    def enqueued(self) -> asyncio.Event:
        """Set whenever work is enqueued, so the outbox worker delivers at once instead of at its
        next round."""
        ...

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     drafts: Mapping[tuple[str, str], Mapping[str, Any] | None] | None = None,
                     now: float) -> list[bool]:
        """Remember `cards`, keep or drop `drafts` ((owner, kind) → fields, None to drop) and
        enqueue `work`, all or nothing; for each piece of work, whether it was new (False: its
        key was enqueued before, and nothing about it changed)."""
        ...

    async def close(self) -> None:
        ...


class MemoryBotState:
    """The in-memory twin."""

    def __init__(self) -> None:
        self.conversations = MemoryConversationStore()
        self.cards = MemorySentCards()
        self.outbox = MemoryOutbox()
        self.enqueued = asyncio.Event()
        self._drafts: dict[tuple[str, str], str] = {}

    async def draft(self, owner: str, kind: str) -> dict[str, Any] | None:
        text = self._drafts.get((owner, kind))
        return json.loads(text) if text else None

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     drafts: Mapping[tuple[str, str], Mapping[str, Any] | None] | None = None,
                     now: float) -> list[bool]:
        # No await between the writes: nothing else runs in between. Every payload is checked
        # before anything changes, so a bad one leaves nothing behind, as a rollback would.
        for w in work:
            json.dumps(w.payload)
        kept = {k: None if d is None else json.dumps(d, ensure_ascii=False) for k, d in (drafts or {}).items()}
        added = [self.outbox.enqueue_now(w.key, w.kind, w.payload, now=now) for w in work]
        for card in cards:
            self.cards.put(card)
        for k, text in kept.items():
            if text is None:
                self._drafts.pop(k, None)
            else:
                self._drafts[k] = text
        if any(added):
            self.enqueued.set()
        return added

    async def close(self) -> None:
        """Nothing to release."""


DRAFTS_DDL = """
CREATE TABLE IF NOT EXISTS drafts (
    owner TEXT NOT NULL, kind TEXT NOT NULL, fields TEXT NOT NULL, saved_at REAL NOT NULL,
    PRIMARY KEY (owner, kind)
);
"""


class SqliteBotState:
    """Everything in one SQLite file, on one connection thread."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteThread(path)
        self.conversations = SqliteConversationStore(self._db)
        self.cards = SqliteSentCards(self._db)
        self.outbox = SqliteOutbox(self._db)
        self.enqueued = asyncio.Event()
        self._db.create(DRAFTS_DDL)

    async def draft(self, owner: str, kind: str) -> dict[str, Any] | None:
        row = await self._db.run(lambda db: db.execute(
            "SELECT fields FROM drafts WHERE owner = ? AND kind = ?", (owner, kind)).fetchone())
        return json.loads(row[0]) if row else None

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     drafts: Mapping[tuple[str, str], Mapping[str, Any] | None] | None = None,
                     now: float) -> list[bool]:
        def write(conn: sqlite3.Connection) -> list[bool]:
            with write_transaction(conn) as db:
                for card in cards:
                    put_in(db, card)
                for (owner, kind), fields in (drafts or {}).items():
                    if fields is None:
                        db.execute("DELETE FROM drafts WHERE owner = ? AND kind = ?", (owner, kind))
                    else:
                        db.execute("INSERT INTO drafts (owner, kind, fields, saved_at) VALUES (?, ?, ?, ?) "
                                   "ON CONFLICT (owner, kind) DO UPDATE SET fields = excluded.fields, "
                                   "saved_at = excluded.saved_at",
                                   (owner, kind, json.dumps(fields, ensure_ascii=False), now))
                return [enqueue_in(db, w.key, w.kind, w.payload, now) for w in work]

        added = await self._db.run(write)
        if any(added):
            self.enqueued.set()
        return added

    async def close(self) -> None:
        await self._db.close()
