"""The cards an answer comes in, sent by the FAQ and updated by feedback on it: the answer card
and the no-answer card with 「担当者に聞く」."""

from __future__ import annotations

import re

from bot.faq.entry import FaqEntry
from bot.turn import Turn
from cards import render
from config.proposals import load_proposal_config


def answer_data(turn: Turn, entry: FaqEntry, card_id: str, offer_proposal: bool = False,
                rated: str = "") -> dict:
    """`offer_proposal`: the entry is about proposals, so its card opens the proposal form too;
    `rated`: what the person said of it, shown on the card (which stays, to change one's mind).
    An answer written as steps reads as a numbered list; a long one shows its first part, and
    「続きを見る」 the rest."""
    first, more = split_long(as_steps(entry.answer))
    return {"text": turn.t, "card_id": card_id, "question": entry.question, "answer": first, "more": more,
            "category": entry.category or "", "source_url": entry.source_url or "",
            "offer_proposal": offer_proposal, "rated": rated}


# A step as the division writes it: ① anywhere; (1) / （1） after a line, a sentence or a space;
# 1. / 1） / 1、 only where a line or a sentence starts (「内線 2100」 is no step).
_STEP = re.compile(r"(?:([①-⑳])|(?:(?<=^)|(?<=[\n。．\s]))[(（]\s*(\d{1,2})\s*[)）]"
                   r"|(?:(?<=^)|(?<=[\n。．]))\s*(\d{1,2})\s*[.．)）、](?!\d))\s*")
SHORT_ANSWER = 320  # characters shown before 「続きを見る」 (a phone screen's worth)


def as_steps(answer: str) -> str:
    """「①…②…」 or lines 「1）…」 as a Markdown numbered list, one step a line, which Teams and
    the standard renderer show as a list; an answer with fewer than two steps is left as written."""
    marks = list(_STEP.finditer(answer))
    if len(marks) < 2 or not _starts_steps(answer, marks[0].start()):
        return answer  # 「画面の①と②を確認」, 「別紙 (1) と (2)」: references in a sentence, not steps
    numbers = [ord(m.group(1)) - ord("①") + 1 if m.group(1) else int(m.group(2) or m.group(3)) for m in marks]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return answer  # not a sequence: numbers in the text, not steps
    head = answer[:marks[0].start()].strip()
    steps = [answer[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(answer))].strip()
             for i, m in enumerate(marks)]
    if any(len(s) < 2 for s in steps):
        return answer  # 「②③④の順に押す」: numbers named in a row, not steps
    # The last step ends with its sentence (a 。 outside 「」); what follows is a paragraph of its own.
    end = _sentence_end(steps[-1])
    last, tail = (steps[-1][:end + 1], steps[-1][end + 1:]) if end >= 0 else (steps[-1], "")
    steps[-1] = last
    body = "\n".join(f"{n}. {s}" for n, s in zip(numbers, steps))
    return "\n\n".join(part for part in (head, body, tail.strip()) if part)


def _starts_steps(answer: str, at: int) -> bool:
    """Steps begin an answer, a line, or follow a sentence or a colon (「手順は次のとおり。①…」)."""
    before = answer[:at].rstrip(" 　")
    return not before or before[-1] in "\n。．:："


def _sentence_end(text: str) -> int:
    """Where the first sentence of `text` ends (its 。 outside 「」 and （）), or -1."""
    depth = 0
    for i, c in enumerate(text):
        depth += c in "「『（("
        depth -= c in "」』）)" and depth > 0
        if c == "。" and depth == 0 and i + 1 < len(text):
            return i
    return -1


def split_long(answer: str, limit: int = SHORT_ANSWER) -> tuple[str, str]:
    """(what the card shows, the rest) — cut after a sentence or a line, never mid-word: an
    answer with no such place early enough is shown whole."""
    if len(answer) <= limit * 1.25:  # a little over is not worth a button
        return answer, ""
    cut = max(answer.rfind(mark, 0, limit) for mark in ("。", "\n", "．"))
    if cut < limit // 3:
        return answer, ""  # no sentence ends early enough: never cut a word, a URL or a link
    return answer[:cut + 1].rstrip(), answer[cut + 1:].strip()


def answer_card(turn: Turn, entry: FaqEntry, card_id: str, rated: str = "") -> dict:
    offer = bool(entry.category) and entry.category in load_proposal_config().faq_categories
    return render("answer", answer_data(turn, entry, card_id, offer, rated))


def no_answer_data(turn: Turn, card_id: str, not_solved: bool = False) -> dict:
    """`not_solved`: after 「解決しない」 on an answer (the FAQ had one; it did not help)."""
    return {"text": turn.t, "card_id": card_id, "not_solved": not_solved, "missing": not not_solved}


def no_answer_card(turn: Turn, card_id: str, not_solved: bool = False) -> dict:
    return render("no_answer", no_answer_data(turn, card_id, not_solved))
