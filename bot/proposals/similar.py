"""Proposals like the one being written, found before it is filed.

Reviewers find many proposals alike; the proposer is shown the closest existing ones first,
with their status, and may support one instead. Matching is the FAQ's own (bot/faq/: Sudachi
words, character bigrams and readings, TF-IDF, coverage), with each proposal's title and the
start of its problem as the wordings and its idea as the answer; the measure is the matcher's
word similarity (0–1), not its FAQ probability, which is fitted to questions. The FAQ's entries
are indexed beside the proposals (and never returned): with them, how rare a word is means the
same with 3 proposals as with 3,000, so one threshold holds from the first week.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from bot.faq.analyzer import Analyzer
from bot.faq.entry import FaqEntry
from bot.faq.matcher import FaqMatcher
from liststore import Item, ListStore, StoreError

logger = logging.getLogger(__name__)

PROPOSALS_LIST = "Proposals"
SNIPPET = 200  # characters of the problem and idea a proposal is matched by
BACKGROUND = "faq:"  # ids of the FAQ entries indexed beside the proposals


@dataclass(frozen=True, slots=True)
class Known:
    """An existing proposal as the similar card shows it."""

    number: str
    title: str
    status: str
    supports: int


@dataclass(frozen=True, slots=True)
class Similar:
    proposal: Known
    similarity: float


def _entry(item: Item) -> tuple[FaqEntry, Known] | None:
    f = item.fields
    title = str(f.get("Title") or "").strip()
    if not title:
        return None
    problem, idea = str(f.get("Problem") or "")[:SNIPPET], str(f.get("Idea") or "")[:SNIPPET]
    entry = FaqEntry(item.key, title, tuple(t for t in (problem,) if t), idea, None, None, None)
    return entry, Known(item.key, title, str(f.get("Status") or ""), int(f.get("SupportCount") or 0))


class SimilarProposals:
    """An index of the Proposals list, read at first use; after a proposal is filed or
    supported here (`stale`) it is rebuilt in the background while lookups use the index they
    have (with 10,000 proposals a rebuild takes seconds, which no proposer should wait for)."""

    def __init__(self, store: ListStore, analyzer: Callable[[], Analyzer],
                 background: Callable[[], Iterable[FaqEntry]] = tuple) -> None:
        """`analyzer` gives the FAQ's current analyzer (its synonyms change when edited),
        `background` the FAQ's entries."""
        self._store, self._analyzer, self._background = store, analyzer, background
        self._matcher: FaqMatcher | None = None
        self._known: dict[str, Known] = {}
        self._lock = asyncio.Lock()
        self._stale = True
        self._rebuilding: asyncio.Task[int] | None = None

    def stale(self) -> None:
        """The list changed: read it again before the next lookup."""
        self._stale = True

    async def refresh(self) -> int:
        """Read the list again and rebuild the index (off the event loop); how many proposals."""
        async with self._lock:
            self._stale = False
            entries: list[FaqEntry] = []
            known: dict[str, Known] = {}
            async for page in self._store.pages(PROPOSALS_LIST):
                for item in page:
                    pair = _entry(item)
                    if pair is not None:
                        entries.append(pair[0])
                        known[item.key] = pair[1]
            entries += [replace(e, faq_id=BACKGROUND + e.faq_id) for e in self._background()]
            self._matcher = await asyncio.to_thread(FaqMatcher, entries, self._analyzer())
            self._known = known
            return len(known)

    async def _rebuild(self) -> int:
        try:
            return await self.refresh()
        except StoreError:
            logger.warning("similar proposals: the Proposals list cannot be read; the old index stays")
            self._stale = True
            return 0

    async def close(self) -> None:
        """Stop a rebuild in progress."""
        if self._rebuilding is not None and not self._rebuilding.done():
            self._rebuilding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rebuilding

    def known(self, number: str) -> Known | None:
        return self._known.get(number)

    async def like(self, text: str, limit: int, min_similarity: float) -> list[Similar]:
        """The proposals most like `text` at or above `min_similarity`, closest first (none
        when the list cannot be read now: filing must not wait for a courtesy)."""
        if self._matcher is None:
            try:
                await self.refresh()
            except StoreError:
                logger.warning("similar proposals: the Proposals list cannot be read", exc_info=True)
                return []
        elif self._stale and (self._rebuilding is None or self._rebuilding.done()):
            self._rebuilding = asyncio.create_task(self._rebuild())
        matcher = self._matcher
        if matcher is None or not len(matcher) or limit <= 0:
            return []
        sim = await asyncio.to_thread(matcher.similarity, text[: SNIPPET * 2], None)
        found = [(pid, sim.features(i)[0]) for i, pid in enumerate(sim.ids)]
        found.sort(key=lambda p: -p[1])
        return [Similar(self._known[pid], round(s, 3)) for pid, s in found
                if s >= min_similarity and pid in self._known][:limit]
