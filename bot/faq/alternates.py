"""Wordings that people matched to an FAQ entry, offered to the DX division as new alternates.

When the bot is unsure it shows "did you mean"; a pick is recorded in the Questions list
(評価 = 候補から選択) with the entry chosen. That wording is what the FAQ lacked: added to the
entry's alternates, the next person who words it that way gets the answer outright. Nothing is
added behind the division's back: `dx-bot faq alternates FILE` writes the suggestions in the FAQ
file format for review, and `dx-bot faq import FILE --merge` takes what survives the review.
Once a wording is among its entry's alternates, its question is marked FAQ化.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from bot.faq.entry import FaqEntry
from bot.faq.text import Synonyms, normalise, strip_pleasantries
from bot.questions import Pick

# A wording longer than this is a message, not a question; as an alternate it would make the
# entry match everything its context mentions.
MAX_WORDING = 100


@dataclass(frozen=True, slots=True)
class Review:
    """What the picks add up to."""

    suggested: list[tuple[FaqEntry, tuple[str, ...]]]  # entry (alternates extended), new wordings
    conflicting: list[str]  # wordings people picked for different entries: a person must decide
    promoted: list[str]  # question ids whose wording is already an alternate of its entry
    skipped: int  # picks of entries no longer published, or too long to be a question


def review(entries: Sequence[FaqEntry], picks: Iterable[Pick], synonyms: Synonyms) -> Review:
    """New alternates per entry, most-picked first; wordings equal after folding count as one."""
    by_id = {e.faq_id: e for e in entries}
    known = {e.faq_id: {normalise(q, synonyms) for q in (e.question, *e.alternate_questions)}
             for e in entries}
    # Normalised wording → entry chosen → the wording as each person typed it.
    picked: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    promoted: list[str] = []
    skipped = 0
    for pick in picks:
        wording = strip_pleasantries(pick.text)
        if pick.faq_id not in by_id or not wording or len(wording) > MAX_WORDING:
            skipped += 1
            continue
        key = normalise(wording, synonyms)
        if key in known[pick.faq_id]:
            promoted.append(pick.question_id)
        else:
            picked[key][pick.faq_id].append(wording)
    conflicting = sorted(chosen[min(chosen)][0] for chosen in picked.values() if len(chosen) > 1)
    new: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for chosen in picked.values():
        if len(chosen) == 1:
            [(faq_id, typed)] = chosen.items()
            new[faq_id].append((-len(typed), typed[0]))  # most picked first, as first typed
    suggested = []
    for faq_id in sorted(new):
        wordings = tuple(w for _, w in sorted(new[faq_id]))
        entry = by_id[faq_id]
        suggested.append((replace(entry, alternate_questions=(*entry.alternate_questions, *wordings)),
                          wordings))
    return Review(suggested, conflicting, promoted, skipped)
