"""What the bot remembers of each card it sent, so that an action on the card is read from here.

A card's buttons carry only the card's id. Which question was asked, which entry answered it,
how well it matched, which candidates were offered and under which Questions item it is
recorded are looked up on the server: a client that edits the card's data can name another
card, never another question, entry or score.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

from liststore.sqlitedb import SqliteThread, write_transaction

# How an action names the card it came from: 16 url-safe characters, unguessable.
CARD_ID_PATTERN = r"^[A-Za-z0-9_-]{16}$"


def new_card_id() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class SentCard:
    """One card as the bot sent it."""

    card_id: str
    kind: str  # answer | choices (did you mean) | no_answer
    asker: str  # the Entra object id when Teams gives it
    asked: str  # the question as typed
    question_id: str  # the Questions item this card's question is (or will be) recorded under
    sent_at: str  # ISO 8601, UTC
    faq_id: str | None = None  # answer: the entry shown; otherwise the nearest entry
    score: float | None = None  # the matcher's score for faq_id
    candidates: tuple[str, ...] = ()  # choices: the entries offered
    feedback: str | None = None  # answer: 役に立った / 解決しない once someone said so
    picked: str | None = None  # choices: the entry picked, or "-" for 「どれでもない」

    def with_feedback(self, feedback: str) -> "SentCard":
        return replace(self, feedback=feedback)


def _dumps(card: SentCard) -> str:
    return json.dumps(asdict(card), ensure_ascii=False)


def _loads(text: str) -> SentCard:
    raw = json.loads(text)
    raw["candidates"] = tuple(raw.get("candidates") or ())
    return SentCard(**raw)


class SentCards(Protocol):
    """Where sent cards are remembered."""

    async def get(self, card_id: str) -> SentCard | None:
        """The card, or None when it was never sent (or is older than the retention)."""
        ...

    async def prune(self, sent_before: str) -> int:
        """Forget cards sent before this ISO moment; how many."""
        ...


class MemorySentCards:
    """The in-memory twin."""

    def __init__(self) -> None:
        self.cards: dict[str, str] = {}

    async def get(self, card_id: str) -> SentCard | None:
        text = self.cards.get(card_id)
        return _loads(text) if text else None

    def put(self, card: SentCard) -> None:
        self.cards[card.card_id] = _dumps(card)

    async def prune(self, sent_before: str) -> int:
        old = [k for k, v in self.cards.items() if _loads(v).sent_at < sent_before]
        for key in old:
            del self.cards[key]
        return len(old)


SENT_CARDS_DDL = """
CREATE TABLE IF NOT EXISTS sent_cards (
    card_id TEXT PRIMARY KEY, sent_at TEXT NOT NULL, card TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sent_cards_age ON sent_cards (sent_at);
"""


def put_in(db: sqlite3.Connection, card: SentCard) -> None:
    """Remember `card` inside a transaction the caller holds."""
    db.execute("INSERT INTO sent_cards (card_id, sent_at, card) VALUES (?, ?, ?) "
               "ON CONFLICT (card_id) DO UPDATE SET card = excluded.card",
               (card.card_id, card.sent_at, _dumps(card)))


class SqliteSentCards:
    """Sent cards in the bot's state file."""

    def __init__(self, db: SqliteThread | Path) -> None:
        self._owned = isinstance(db, Path)
        self._db = SqliteThread(db) if isinstance(db, Path) else db
        self._db.create(SENT_CARDS_DDL)

    async def get(self, card_id: str) -> SentCard | None:
        row = await self._db.run(lambda db: db.execute(
            "SELECT card FROM sent_cards WHERE card_id = ?", (card_id,)).fetchone())
        return _loads(row[0]) if row else None

    async def prune(self, sent_before: str) -> int:
        def write(conn: sqlite3.Connection) -> int:
            with write_transaction(conn) as db:
                return db.execute("DELETE FROM sent_cards WHERE sent_at < ?", (sent_before,)).rowcount

        return await self._db.run(write)

    async def close(self) -> None:
        if self._owned:
            await self._db.close()
