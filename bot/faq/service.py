"""The FAQ as the bot sees it: an in-memory index kept in step with the FAQ list.

The list's change feed drives it: the first read takes every item, later reads only what
changed, and the matcher is rebuilt (off the event loop) only when something did.
"""

from __future__ import annotations

import asyncio
import logging
from bot.faq.analyzer import Analyzer
from bot.faq.importer import FAQ_LIST, FaqEntry
from bot.faq.matcher import FaqMatcher, Match
from bot.faq.text import Synonyms
from liststore import Item, ListStore

logger = logging.getLogger(__name__)


def entry_from_item(item: Item) -> FaqEntry | None:
    """An FAQ list item as an entry; None when unpublished or incomplete."""
    f = item.fields
    if f.get("IsPublished") is False or not f.get("Title") or not f.get("Answer"):
        return None
    alternates = tuple(q.strip() for q in str(f.get("AlternateQuestions") or "").splitlines() if q.strip())
    return FaqEntry(item.key, str(f["Title"]), alternates, str(f["Answer"]), f.get("Category"),
                    f.get("Tags"), f.get("SourceUrl"))


class FaqService:
    """Answers questions from the FAQ list; `refresh` picks up the division's edits."""

    def __init__(self, store: ListStore, analyzer: Analyzer) -> None:
        self._store = store
        self._analyzer = analyzer
        self._items: dict[str, FaqEntry] = {}
        self._token: str | None = None
        self._matcher = FaqMatcher((), analyzer)
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, store: ListStore) -> "FaqService":
        """The service over `store`'s FAQ list, indexed and ready to answer."""
        service = cls(store, Analyzer(Synonyms.load()))
        await service.refresh()
        return service

    @property
    def matcher(self) -> FaqMatcher:
        return self._matcher

    def entry(self, faq_id: str) -> FaqEntry | None:
        """The entry with this id, if it is (still) published."""
        return self._matcher.entries.get(faq_id)

    def ask(self, question: str) -> Match:
        """What the FAQ says to `question` (pure; the index in memory)."""
        return self._matcher.match(question)

    async def refresh(self) -> bool:
        """Read the FAQ list's changes; True when the index was rebuilt."""
        async with self._lock:
            changes = await self._store.changes(FAQ_LIST, self._token)
            if changes.full:
                self._items.clear()
            for item in changes.items:
                entry = entry_from_item(item)
                if entry is None:
                    self._items.pop(item.key, None)
                else:
                    self._items[item.key] = entry
            for key in changes.deleted:
                self._items.pop(key, None)
            self._token = changes.token
            if not (changes.full or changes.items or changes.deleted):
                return False
            entries = sorted(self._items.values(), key=lambda e: e.faq_id)
            self._matcher = await asyncio.to_thread(FaqMatcher, entries, self._analyzer)
            logger.info("FAQ index built: %d entries", len(entries))
            return True

    async def keep_fresh(self, interval: float) -> None:
        """Refresh forever, every `interval` seconds; errors are logged and retried."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except Exception:  # noqa: BLE001 - a store hiccup must not stop the bot answering
                logger.warning("FAQ refresh failed; answering from the current index", exc_info=True)
