"""Questions outside what the DX community bot covers (leave, the cafeteria, a typhoon closure),
told where they belong instead of being offered to the DX experts or counted as gaps in the FAQ.

The topics, their words and where each goes are the division's (config/off_topic.toml). A
question counts as off-topic only when the FAQ does not answer it, it names a topic's word, and
it names no DX word: 「休暇申請を Power Apps で作りたい」 is a DX question.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.faq.text import fold
from config.packaged import packaged_toml


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    words: tuple[str, ...]
    where: str


@dataclass(frozen=True, slots=True)
class OffTopic:
    dx_words: tuple[str, ...]
    topics: tuple[Topic, ...]

    def topic_of(self, question: str) -> Topic | None:
        """The topic a question belongs to when it is not a DX question, else None."""
        folded = fold(question)
        if any(w in folded for w in self.dx_words):
            return None
        return next((t for t in self.topics if any(w in folded for w in t.words)), None)


@lru_cache(maxsize=1)
def load_off_topic() -> OffTopic:
    raw = packaged_toml("off_topic.toml")
    return OffTopic(tuple(fold(w) for w in raw.get("dx_words", [])),
                    tuple(Topic(t["name"], tuple(fold(w) for w in t["words"]), t["where"])
                          for t in raw.get("topics", [])))
