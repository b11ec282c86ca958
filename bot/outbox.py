"""Work that must reach the store or a person is written down before it is attempted.

A proposal to file, a notification to send: `enqueue` records it locally under an idempotency
key (one key, one piece of work: a second enqueue of the same key is a no-op), and the
`OutboxWorker` delivers due items in the background, retrying with backoff until a handler
succeeds, a handler says the work can never succeed (`Undeliverable`), or the attempts run
out; nothing is lost across a crash or a restart, because an item leaves the outbox only after
its handler returned (and its key stays taken for a month after that). Handlers receive the
key, so an effect keyed by it (an item written under that key, a message whose id is
remembered) happens once however often delivery is retried.

A worker claims each item before delivering it, so workers of several bot instances sharing
one outbox never deliver the same item at once; the claim runs out if the worker dies.

`SqliteOutbox` keeps the items in the bot's state file (where `BotState.commit` enqueues in the
same transaction as the bookkeeping the work goes with); `TableOutbox` (bot/azure_state.py) in
Azure Table storage; `MemoryOutbox` is the twin for tests. All pass `tests/bot/test_outbox.py`'s
contract suite.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Protocol

from liststore.sqlitedb import SqliteThread, write_transaction

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Handler = Callable[[str, Mapping[str, Any]], Awaitable[None]]
BATCH = 50  # items a delivery round takes
# How long a delivered key keeps refusing a second enqueue of the same work.
KEEP_DELIVERED = 30 * 24 * 3600.0
# How long a worker holds an item it is delivering before another worker may take it (when the
# first died mid-delivery); longer than a handler takes, throttling included.
CLAIM_SECONDS = 300.0


class Undeliverable(Exception):
    """A handler's word that this item can never be delivered (it is set aside, not retried)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One piece of work: its idempotency key, what kind, what it carries, how it has gone."""

    key: str
    kind: str
    payload: Mapping[str, Any]
    attempts: int = 0
    due: float = 0.0
    error: str | None = None


class Outbox(Protocol):
    """Where pending work waits until it is delivered."""

    async def enqueue(self, key: str, kind: str, payload: Mapping[str, Any], *, now: float) -> bool:
        """Record the work; False when this key was enqueued before (nothing changes)."""
        ...

    async def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        """Items whose time has come, oldest first."""
        ...

    async def claim(self, key: str, *, now: float, until: float) -> bool:
        """Take a due item for delivery until `until`: False when it is no longer due (another
        worker took or delivered it). Until then no other worker gets it from `due`; if this one
        dies before saying how it went, the item is due again at `until`."""
        ...

    async def delivered(self, key: str, *, now: float = 0.0) -> None:
        """The item's work is done: it is never delivered again, and its key stays taken."""
        ...

    async def postpone(self, key: str, until: float, error: str) -> None:
        """Try again at `until`; count the attempt."""
        ...

    async def set_aside(self, key: str, error: str) -> None:
        """Never to be retried (kept, with why, for a person to look at)."""
        ...

    async def pending(self) -> int:
        """How many items wait for delivery."""
        ...

    async def prune(self, before: float) -> int:
        """Forget items delivered before `before` (their keys become free); how many."""
        ...

    async def close(self) -> None:
        ...


class MemoryOutbox:
    """The in-memory twin."""

    def __init__(self) -> None:
        self._items: dict[str, OutboxItem] = {}
        self._order: dict[str, int] = {}
        self.set_aside_items: dict[str, OutboxItem] = {}
        self._keys: set[str] = set()
        self._delivered: dict[str, float] = {}

    async def enqueue(self, key: str, kind: str, payload: Mapping[str, Any], *, now: float) -> bool:
        return self.enqueue_now(key, kind, payload, now=now)

    def enqueue_now(self, key: str, kind: str, payload: Mapping[str, Any], *, now: float) -> bool:
        """`enqueue` without yielding to the loop (for `MemoryBotState.commit`)."""
        stored = json.loads(json.dumps(payload))  # as SQLite would store it; fails before any change
        if key in self._keys:
            return False
        self._keys.add(key)
        self._order[key] = len(self._order)
        self._items[key] = OutboxItem(key, kind, stored, 0, now)
        return True

    async def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        ready = [i for i in self._items.values() if i.due <= now]
        return sorted(ready, key=lambda i: (i.due, self._order[i.key]))[:limit]

    async def claim(self, key: str, *, now: float, until: float) -> bool:
        item = self._items.get(key)
        if item is None or item.due > now:
            return False
        self._items[key] = OutboxItem(key, item.kind, item.payload, item.attempts, until, item.error)
        return True

    async def delivered(self, key: str, *, now: float = 0.0) -> None:
        if self._items.pop(key, None) is not None:
            self._delivered[key] = now

    async def postpone(self, key: str, until: float, error: str) -> None:
        item = self._items[key]
        self._items[key] = OutboxItem(key, item.kind, item.payload, item.attempts + 1, until, error)

    async def set_aside(self, key: str, error: str) -> None:
        item = self._items.pop(key)
        self.set_aside_items[key] = OutboxItem(key, item.kind, item.payload, item.attempts + 1, item.due, error)

    async def pending(self) -> int:
        return len(self._items)

    async def prune(self, before: float) -> int:
        old = [k for k, at in self._delivered.items() if at < before]
        for key in old:
            del self._delivered[key]
            self._keys.discard(key)
        return len(old)

    async def close(self) -> None:
        """Nothing to release."""


OUTBOX_DDL = """
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, due REAL NOT NULL, error TEXT,
    state TEXT NOT NULL DEFAULT 'pending', seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, due, seq);
"""

_ENQUEUE = ("INSERT INTO outbox (key, kind, payload, due, seq) VALUES (?, ?, ?, ?, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox)) ON CONFLICT (key) DO NOTHING")


def enqueue_in(db: sqlite3.Connection, key: str, kind: str, payload: Mapping[str, Any], now: float) -> bool:
    """Enqueue inside a transaction the caller holds (with the bookkeeping it goes with)."""
    return db.execute(_ENQUEUE, (key, kind, json.dumps(payload, ensure_ascii=False), now)).rowcount == 1


class SqliteOutbox:
    """Items in the bot's state file, written in one transaction each.

    A delivered item stays as 'delivered' (its key still refuses a second enqueue) until
    `prune` drops it after the retention the worker uses.
    """

    def __init__(self, db: SqliteThread | Path) -> None:
        self._owned = isinstance(db, Path)
        self._db = SqliteThread(db) if isinstance(db, Path) else db
        self._db.create(OUTBOX_DDL)

    async def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with write_transaction(conn) as db:
                return db.execute(sql, args).rowcount

        return await self._db.run(run)

    async def enqueue(self, key: str, kind: str, payload: Mapping[str, Any], *, now: float) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with write_transaction(conn) as db:
                return enqueue_in(db, key, kind, payload, now)

        return await self._db.run(run)

    async def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        rows = await self._db.run(lambda db: db.execute(
            "SELECT key, kind, payload, attempts, due, error FROM outbox WHERE state = 'pending' "
            "AND due <= ? ORDER BY due, seq LIMIT ?", (now, limit)).fetchall())
        return [OutboxItem(k, kind, json.loads(p), a, d, e) for k, kind, p, a, d, e in rows]

    async def claim(self, key: str, *, now: float, until: float) -> bool:
        return await self._write("UPDATE outbox SET due = ? WHERE key = ? AND state = 'pending' AND due <= ?",
                                 (until, key, now)) == 1

    async def delivered(self, key: str, *, now: float = 0.0) -> None:
        await self._write("UPDATE outbox SET state = 'delivered', due = ?, error = NULL WHERE key = ?",
                          (now, key))

    async def postpone(self, key: str, until: float, error: str) -> None:
        await self._write("UPDATE outbox SET attempts = attempts + 1, due = ?, error = ? WHERE key = ?",
                          (until, error, key))

    async def set_aside(self, key: str, error: str) -> None:
        await self._write("UPDATE outbox SET attempts = attempts + 1, error = ?, state = 'set aside' "
                          "WHERE key = ?", (error, key))

    async def pending(self) -> int:
        row = await self._db.run(lambda db: db.execute(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone())
        return int(row[0])

    async def prune(self, before: float) -> int:
        return await self._write("DELETE FROM outbox WHERE state = 'delivered' AND due < ?", (before,))

    async def close(self) -> None:
        if self._owned:
            await self._db.close()


class OutboxWorker:
    """Delivers due items through the handler of their kind; the clock is injected."""

    def __init__(self, outbox: Outbox, handlers: Mapping[str, Handler], *, clock: Clock = time.time,
                 attempts: int = 12, base: float = 5.0, cap: float = 3600.0,
                 rng: random.Random | None = None) -> None:
        self._outbox, self._handlers, self._clock = outbox, handlers, clock
        self._attempts, self._base, self._cap = attempts, base, cap
        self._rng = rng or random.Random()
        self._full_batch = False

    async def run_once(self) -> int:
        """Try the due items once (up to a batch); how many were delivered."""
        done = 0
        batch = await self._outbox.due(self._clock(), BATCH)
        self._full_batch = len(batch) == BATCH
        for item in batch:
            if not await self._outbox.claim(item.key, now=self._clock(), until=self._clock() + CLAIM_SECONDS):
                continue  # another worker (another bot instance) has it
            handler = self._handlers.get(item.kind)
            if handler is None:
                await self._outbox.set_aside(item.key, f"no handler for {item.kind!r}")
                continue
            try:
                await handler(item.key, item.payload)
            except Undeliverable as exc:
                logger.warning("outbox %s (%s): set aside: %s", item.key, item.kind, exc)
                await self._outbox.set_aside(item.key, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - any failure is retried later; the item stays
                if item.attempts + 1 >= self._attempts:
                    logger.warning("outbox %s (%s): set aside after %d attempts", item.key, item.kind,
                                   item.attempts + 1)
                    await self._outbox.set_aside(item.key, f"{type(exc).__name__}: {exc}")
                    continue
                wait = self._rng.uniform(self._base, min(self._cap, self._base * 2 ** item.attempts))
                await self._outbox.postpone(item.key, self._clock() + wait, f"{type(exc).__name__}: {exc}")
                continue
            await self._outbox.delivered(item.key, now=self._clock())
            done += 1
        return done

    async def run(self, stop: asyncio.Event, interval: float = 2.0,
                  wake: asyncio.Event | None = None) -> None:
        """Deliver until `stop` is set: every `interval` seconds, and at once when `wake` is set
        (work was just enqueued). Delivered keys are kept for `KEEP_DELIVERED` seconds."""
        wake = wake or asyncio.Event()
        while not stop.is_set():
            wake.clear()
            try:
                await self.run_once()
                if self._full_batch:
                    continue  # more are due: no pause between batches
                await self._outbox.prune(self._clock() - KEEP_DELIVERED)
            except Exception:  # noqa: BLE001 - the store of the outbox itself failing: try again
                logger.exception("outbox: delivery round failed")
            waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())}
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
