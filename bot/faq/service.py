"""The FAQ as the bot sees it: an in-memory index kept in step with the FAQ list.

The list's change feed drives it: the first read takes every item, later reads only what
changed, and the matcher is rebuilt (off the event loop) only when something did.

With a sentence encoder, a cold start of a large FAQ takes a while to embed (about 10 ms a text
on this kind of machine; cached afterwards). The bot therefore starts on a words-only index
and answers at once; `keep_fresh` swaps in the index with meaning as soon as it is built.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from bot.faq.analyzer import Analyzer
from bot.faq.encoder import CachedEncoder, SentenceEncoder, encoder_from
from bot.faq.entry import FAQ_LIST, FaqEntry
from bot.faq.matcher import FaqMatcher, Match
from bot.faq.text import Synonyms, SynonymsError
from liststore import Item, ListStore

if TYPE_CHECKING:
    from config.settings import Settings

logger = logging.getLogger(__name__)


def entry_from_item(item: Item) -> FaqEntry | None:
    """An FAQ list item as an entry; None when unpublished or incomplete."""
    f = item.fields
    if f.get("IsPublished") is False or not f.get("Title") or not f.get("Answer"):
        return None
    alternates = tuple(q.strip() for q in str(f.get("AlternateQuestions") or "").splitlines() if q.strip())
    return FaqEntry(item.key, str(f["Title"]), alternates, str(f["Answer"]), f.get("Category"),
                    f.get("Tags"), f.get("SourceUrl"))


# A question is matched on its first this-many characters. Staff questions are a sentence or
# two; matching costs time in proportion to length (about 0.6 ms a character with meaning), so
# a message of thousands of characters would cost seconds and let one sender slow everyone.
MATCHED_PREFIX_CHARS = 200
# Questions up to this length (nearly all of them) are matched in a lane of their own, so that
# long messages, however many arrive at once, queue only behind each other.
SHORT_QUESTION_CHARS = 80


class FaqService:
    """Answers questions from the FAQ list; `refresh` picks up the division's edits."""

    def __init__(self, store: ListStore, analyzer: Analyzer, encoder: SentenceEncoder | None = None,
                 synonyms_file: Path | None = None) -> None:
        self._store = store
        self._analyzer = analyzer
        self._encoder = encoder
        self._synonyms_file = synonyms_file
        self._synonyms_stamp = _stamp(synonyms_file)
        self._meaning_pending = False
        self._items: dict[str, FaqEntry] = {}
        self._token: str | None = None
        self._matcher = FaqMatcher((), analyzer)
        self._lock = asyncio.Lock()
        # Matching has threads of its own: work queued in the default executor (botbuilder sends
        # every reply there, and a reply to a dead address holds a thread for its retries) never
        # delays an answer. Two for ordinary questions, as the matcher is CPU work and the
        # machines have two cores; one for long ones, which may then take a core but not both.
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="faq-match")
        self._long_threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faq-match-long")

    @classmethod
    async def load(cls, store: ListStore, encoder: SentenceEncoder | None = None, *,
                   words_first: bool = False, synonyms_file: Path | None = None) -> "FaqService":
        """The service over `store`'s FAQ list, indexed and ready to answer.

        `words_first`: with an encoder, answer from a words-only index until `keep_fresh` has
        built the one with meaning (for a server that must answer within seconds of start).
        `synonyms_file`: the division's synonyms instead of the packaged ones (SynonymsError
        when unusable); `keep_fresh` rereads it when it changes.
        """
        service = cls(store, Analyzer(Synonyms.load(synonyms_file)), encoder, synonyms_file)
        service._meaning_pending = words_first and encoder is not None
        await service.refresh()
        return service

    @classmethod
    async def from_settings(cls, store: ListStore, settings: "Settings", *,
                            words_first: bool = False) -> "FaqService":
        """`load` with the encoder and synonym file the settings name (the bot and the CLI)."""
        return await cls.load(store, encoder_from(settings), words_first=words_first,
                              synonyms_file=settings.faq_synonyms_file)

    @property
    def matcher(self) -> FaqMatcher:
        return self._matcher

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer with the division's current synonyms (other indexes share it)."""
        return self._analyzer

    def entry(self, faq_id: str) -> FaqEntry | None:
        """The entry with this id, if it is (still) published."""
        return self._matcher.entries.get(faq_id)

    async def ask(self, question: str) -> Match:
        """What the FAQ says to `question` (its first MATCHED_PREFIX_CHARS characters), matched
        off the event loop."""
        matcher = self._matcher
        question = question[:MATCHED_PREFIX_CHARS]
        lane = self._threads if len(question) <= SHORT_QUESTION_CHARS else self._long_threads
        return await asyncio.get_running_loop().run_in_executor(lane, matcher.match, question)

    @property
    def mode(self) -> str:
        """`meaning` when the index uses the encoder, `words` when not (yet)."""
        return "words" if self._matcher.encoder is None else "meaning"

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
            await self._build()
            return True

    async def _build(self) -> None:
        """A new index of the current entries, with meaning unless that is still pending."""
        encoder = None if self._meaning_pending else self._encoder
        entries = sorted(self._items.values(), key=lambda e: e.faq_id)
        self._matcher = await asyncio.to_thread(FaqMatcher, entries, self._analyzer, encoder)
        logger.info("FAQ index built: %d entries, %s", len(entries),
                    "words and meaning" if encoder is not None else "words only")

    async def add_meaning(self) -> None:
        """Build the index with meaning, if `load(words_first=True)` left it words-only."""
        async with self._lock:
            if self._meaning_pending:
                self._meaning_pending = False
                try:
                    await self._build()
                except BaseException:
                    self._meaning_pending = True  # words keep answering; the next round retries
                    raise

    async def reload_synonyms(self) -> bool:
        """Reread the synonym file if it changed and rebuild the index; True when it did. A file
        that cannot be used is logged (file and reason) and the current synonyms stay."""
        stamp = _stamp(self._synonyms_file)
        if stamp == self._synonyms_stamp:
            return False
        async with self._lock:
            self._synonyms_stamp = stamp
            try:
                synonyms = await asyncio.to_thread(Synonyms.load, self._synonyms_file)
            except SynonymsError as exc:
                logger.warning("FAQ synonyms not reloaded, keeping the previous ones: %s", exc)
                return False
            self._analyzer = Analyzer(synonyms)
            await self._build()
            return True

    def close(self) -> None:
        """Let an index build that is still embedding stop at its next batch (see CachedEncoder.close)."""
        if isinstance(self._encoder, CachedEncoder):
            self._encoder.close()
        for lane in (self._threads, self._long_threads):
            lane.shutdown(wait=False, cancel_futures=True)

    async def keep_fresh(self, interval: float) -> None:
        """Add meaning if pending, pick up a changed synonym file, then refresh every `interval`
        seconds, forever; errors are logged and retried (the current index keeps answering)."""
        while True:
            try:
                await self.add_meaning()
                await self.reload_synonyms()
                await self.refresh()
            except Exception:  # noqa: BLE001 - a store or encoder hiccup must not stop the bot answering
                logger.warning("FAQ refresh failed; answering from the current index", exc_info=True)
            await asyncio.sleep(interval)


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """What changes when the file is saved (modification time and size); None without one."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return (0, 0)  # gone or unreadable: Synonyms.load will say so
    return (st.st_mtime_ns, st.st_size)
