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
from typing import Any, Self

from bot.periodic import every
from bot.state import BotState, Work
from config.clock import Clock, utc_now
from liststore import Item, ListStore

logger = logging.getLogger(__name__)


class ListWatch:
    """The cursor and the loop; subclasses say what is watched and what it means."""

    list_name = ""
    space = ""  # the bot state space of what was seen, by item key

    def __init__(self, store: ListStore, state: BotState, clock: Clock = utc_now) -> None:
        self._store, self._state, self._clock = store, state, clock
        self._views: list[ListWatch] = [self]

    def sharing(self, *others: "ListWatch") -> Self:
        """Other watches of the same list, told from this watch's one read of its feed (and only
        this one is run): the feed is read once a round however many watch it."""
        if any(o.list_name != self.list_name for o in others):
            raise ValueError("watches share the feed of one list only")
        self._views += others
        return self

    def seen(self, item: Item) -> Any:
        """What of the item is watched (None: nothing to watch)."""
        raise NotImplementedError

    def telling(self, item: Item, before: Any, first_look: bool) -> list[Work]:
        """The work a change from `before` to `seen(item)` gives."""
        raise NotImplementedError

    async def run_once(self) -> int:
        """One read of the feed for every watch of it; how many notifications they enqueued."""
        cursor = ("cursor", self.list_name)
        token = await self._state.value(*cursor)
        feed = await self._store.changes(self.list_name, token)
        values: dict[tuple[str, str], Any] = {}
        work: list[Work] = []
        for view in self._views:
            seen = await self._state.values(view.space)
            for item in feed.items:
                now, before = view.seen(item), seen.get(item.key)
                if now == before:
                    continue  # another column changed
                values[(view.space, item.key)] = now
                work += view.telling(item, before, token is None)
            for key in feed.deleted:
                values[(view.space, key)] = None
        values[cursor] = feed.token  # last: a commit too large for one transaction lands in order
        await self._state.commit(values=values, work=work, now=self._clock().timestamp())
        if work:
            logger.info("%s: %d change(s) to tell", self.list_name, len(work))
        return len(work)

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Look every `interval` seconds until `stop`."""
        await every(interval, stop, self.run_once, f"watching the {self.list_name} list")
