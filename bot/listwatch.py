"""Telling people of what changed in a list, exactly once.

A watch reads one list's change feed from its cursor, compares each changed item with what it
saw of it last, and commits the new cursor, what it saw and the notifications to send (outbox
work), together. A round that dies before its commit is read again from the old cursor; one that
committed is never read twice. Subclasses say what they watch in an item (`seen`) and what a
change means (`telling`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.periodic import every
from bot.state import BotState, Work
from config.clock import Clock, utc_now
from liststore import Item, ListStore

logger = logging.getLogger(__name__)


class ListWatch:
    """The cursor and the loop; subclasses say what is watched and what it means."""

    list_name = ""
    cursor_name = ""  # where the feed's cursor is kept (default: the list's name)
    space = ""  # the bot state space of what was seen, by item key

    def __init__(self, store: ListStore, state: BotState, clock: Clock = utc_now) -> None:
        self._store, self._state, self._clock = store, state, clock

    def seen(self, item: Item) -> Any:
        """What of the item is watched (None: nothing to watch)."""
        raise NotImplementedError

    def telling(self, item: Item, before: Any, first_look: bool) -> list[Work]:
        """The work a change from `before` to `seen(item)` gives."""
        raise NotImplementedError

    async def run_once(self) -> int:
        """One look at the feed; how many notifications it enqueued."""
        cursor = ("cursor", self.cursor_name or self.list_name)
        token = await self._state.value(*cursor)
        feed = await self._store.changes(self.list_name, token)
        seen = await self._state.values(self.space)
        values: dict[tuple[str, str], Any] = {cursor: feed.token}
        work: list[Work] = []
        for item in feed.items:
            now, before = self.seen(item), seen.get(item.key)
            if now == before:
                continue  # another column changed
            values[(self.space, item.key)] = now
            work += self.telling(item, before, token is None)
        for key in feed.deleted:
            values[(self.space, key)] = None
        await self._state.commit(values=values, work=work, now=self._clock().timestamp())
        if work:
            logger.info("%s: %d change(s) to tell", self.list_name, len(work))
        return len(work)

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Look every `interval` seconds until `stop`."""
        await every(interval, stop, self.run_once, f"watching the {self.list_name} list")
