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

from bot.faq.importer import FaqEntry
from bot.faq.text import Synonyms, normalise, strip_pleasantries
from bot.questions import QUESTIONS_LIST
from liststore import ListStore, Upsert

PICKED = "候補から選択"
PROMOTED = "FAQ化"
# A wording longer than this is a message, not a question; as an alternate it would make the
# entry match everything its context mentions.
MAX_WORDING = 100


@dataclass(frozen=True, slots=True)
class Pick:
    """One recorded "did you mean" pick: the question item, what was asked, the entry chosen."""

    question_id: str
    text: str
    faq_id: str


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
    chosen_for: dict[str, set[str]] = defaultdict(set)  # normalised wording → entries chosen
    counts: dict[tuple[str, str], int] = defaultdict(int)
    spelling: dict[tuple[str, str], str] = {}
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
            continue
        chosen_for[key].add(pick.faq_id)
        counts[pick.faq_id, key] += 1
        spelling.setdefault((pick.faq_id, key), wording)
    conflicting = sorted(spelling[min(ids), key] for key, ids in chosen_for.items() if len(ids) > 1)
    new: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (faq_id, key), n in counts.items():
        if len(chosen_for[key]) == 1:
            new[faq_id].append((-n, spelling[faq_id, key]))
    suggested = []
    for faq_id in sorted(new):
        wordings = tuple(w for _, w in sorted(new[faq_id]))
        entry = by_id[faq_id]
        suggested.append((replace(entry, alternate_questions=(*entry.alternate_questions, *wordings)),
                          wordings))
    return Review(suggested, conflicting, promoted, skipped)


async def recorded_picks(store: ListStore) -> list[Pick]:
    """Every "did you mean" pick in the Questions list not yet marked FAQ化."""
    return [Pick(item.key, str(f.get("QuestionText") or ""), str(f["MatchedFaqId"]))
            async for page in store.pages(QUESTIONS_LIST) for item in page
            if (f := item.fields).get("Feedback") == PICKED and f.get("Status") != PROMOTED
            and f.get("MatchedFaqId")]


async def mark_promoted(store: ListStore, question_ids: Sequence[str]) -> int:
    """Mark questions whose wording the FAQ now has as FAQ化; returns how many were written."""
    if not question_ids:
        return 0
    results = await store.upsert(QUESTIONS_LIST, [Upsert(q, {"Status": PROMOTED}) for q in question_ids])
    return sum(r.ok for r in results)
