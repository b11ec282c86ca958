"""The cards an answer comes in, sent by the FAQ and updated by feedback on it: the answer card
and the no-answer card with 「担当者に聞く」."""

from __future__ import annotations

from bot.faq.entry import FaqEntry
from bot.turn import Turn
from cards import render
from config.proposals import load_proposal_config


def answer_data(turn: Turn, entry: FaqEntry, card_id: str, offer_proposal: bool = False,
                rated: str = "") -> dict:
    """`offer_proposal`: the entry is about proposals, so its card opens the proposal form too;
    `rated`: what the person said of it, shown on the card (which stays, to change one's mind)."""
    return {"text": turn.t, "card_id": card_id, "question": entry.question, "answer": entry.answer,
            "category": entry.category or "", "source_url": entry.source_url or "",
            "offer_proposal": offer_proposal, "rated": rated}


def answer_card(turn: Turn, entry: FaqEntry, card_id: str, rated: str = "") -> dict:
    offer = bool(entry.category) and entry.category in load_proposal_config().faq_categories
    return render("answer", answer_data(turn, entry, card_id, offer, rated))


def no_answer_data(turn: Turn, card_id: str, not_solved: bool = False) -> dict:
    """`not_solved`: after 「解決しない」 on an answer (the FAQ had one; it did not help)."""
    return {"text": turn.t, "card_id": card_id, "not_solved": not_solved, "missing": not not_solved}


def no_answer_card(turn: Turn, card_id: str, not_solved: bool = False) -> dict:
    return render("no_answer", no_answer_data(turn, card_id, not_solved))
