"""The bot's own state: conversation references, the cards it sent, small named values (drafts
people are writing, what a watcher has seen), and its outbox.

`BotState.commit` writes sent cards and values and enqueues outbox work in one transaction, so the
bookkeeping of a turn and the work it promised (a question to record in the Questions list, a
message to send) are kept together or not at all: a crash between them cannot leave a card
whose question is never recorded, nor a question recorded for a card nobody saw.

`SqliteBotState` keeps all of it in one file (DX_DATA_DIR/bot-state.sqlite3);
`TableBotState` (bot/azure_state.py) in Azure Table storage, shared by several bot instances;
`MemoryBotState` is the twin for tests and the memory store. All pass one contract suite
(tests/bot/test_bot_state.py).
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

    async def value(self, space: str, key: str) -> Any:
        """A value kept under (space, key): a draft, a cursor (None when there is none)."""
        ...

    async def values(self, space: str) -> dict[str, Any]:
        """Every value of a space, by key."""
        ...

    @property
    def enqueued(self) -> asyncio.Event:
        """Set whenever work is enqueued, so the outbox worker delivers at once instead of at its
        next round."""
        ...

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     values: Mapping[tuple[str, str], Any] | None = None,
                     now: float) -> list[bool]:
        """Remember `cards`, set `values` ((space, key) → any JSON value, None to drop) and
        enqueue `work`, all or nothing; for each piece of work, whether it was new (False: its
        key was enqueued before, and nothing about it changed). A store that cannot keep a
        commit this large together (Azure: over 100 entities) writes it in order, work, cards,
        then values as given: a caller that saves a cursor among its values puts it last."""
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
        self._values: dict[tuple[str, str], str] = {}

    async def value(self, space: str, key: str) -> Any:
        text = self._values.get((space, key))
        return json.loads(text) if text is not None else None

    async def values(self, space: str) -> dict[str, Any]:
        return {k: json.loads(v) for (s, k), v in sorted(self._values.items()) if s == space}

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     values: Mapping[tuple[str, str], Any] | None = None,
                     now: float) -> list[bool]:
        # No await between the writes: nothing else runs in between. Every payload is checked
        # before anything changes, so a bad one leaves nothing behind, as a rollback would.
        for w in work:
            json.dumps(w.payload)
        kept = {k: None if v is None else json.dumps(v, ensure_ascii=False) for k, v in (values or {}).items()}
        added = [self.outbox.enqueue_now(w.key, w.kind, w.payload, now=now) for w in work]
        for card in cards:
            self.cards.put(card)
        for k, text in kept.items():
            if text is None:
                self._values.pop(k, None)
            else:
                self._values[k] = text
        if any(added):
            self.enqueued.set()
        return added

    async def close(self) -> None:
        """Nothing to release."""


VALUES_DDL = """
CREATE TABLE IF NOT EXISTS kept_values (
    space TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, saved_at REAL NOT NULL,
    PRIMARY KEY (space, key)
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
        self._db.create(VALUES_DDL)

    async def value(self, space: str, key: str) -> Any:
        row = await self._db.run(lambda db: db.execute(
            "SELECT value FROM kept_values WHERE space = ? AND key = ?", (space, key)).fetchone())
        return json.loads(row[0]) if row else None

    async def values(self, space: str) -> dict[str, Any]:
        rows = await self._db.run(lambda db: db.execute(
            "SELECT key, value FROM kept_values WHERE space = ? ORDER BY key", (space,)).fetchall())
        return {k: json.loads(v) for k, v in rows}

    async def commit(self, *, cards: Sequence[SentCard] = (), work: Sequence[Work] = (),
                     values: Mapping[tuple[str, str], Any] | None = None,
                     now: float) -> list[bool]:
        def write(conn: sqlite3.Connection) -> list[bool]:
            with write_transaction(conn) as db:
                for card in cards:
                    put_in(db, card)
                for (space, key), value in (values or {}).items():
                    if value is None:
                        db.execute("DELETE FROM kept_values WHERE space = ? AND key = ?", (space, key))
                    else:
                        db.execute("INSERT INTO kept_values (space, key, value, saved_at) VALUES (?, ?, ?, ?) "
                                   "ON CONFLICT (space, key) DO UPDATE SET value = excluded.value, "
                                   "saved_at = excluded.saved_at",
                                   (space, key, json.dumps(value, ensure_ascii=False), now))
                return [enqueue_in(db, w.key, w.kind, w.payload, now) for w in work]

        added = await self._db.run(write)
        if any(added):
            self.enqueued.set()
        return added

    async def close(self) -> None:
        await self._db.close()
