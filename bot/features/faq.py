"""Answers from the FAQ: an answer card, a "did you mean" card, or a no-answer card; the
catch-all route, so it is registered last."""

from __future__ import annotations

import logging

from pydantic import Field

from bot.faq.entry import FaqEntry
from bot.faq.matcher import Match
from bot.faq.service import FaqService
from bot.features.cards import MAX_QUESTION_CHARS, CardData
from bot.features.questions import no_answer_card
from bot.questions import QuestionLog, asker
from bot.router import Router
from bot.turn import CardReply, Turn
from cards import render

logger = logging.getLogger(__name__)


class Choice(CardData):
    """An entry picked on a "did you mean" card."""

    faq_id: str = Field(alias="faqId", min_length=1, max_length=64)
    asked: str = Field("", max_length=MAX_QUESTION_CHARS)


class NoneOfThese(CardData):
    """「どれでもない」 on a "did you mean" card."""

    asked: str = Field("", max_length=MAX_QUESTION_CHARS)


def answer_data(turn: Turn, entry: FaqEntry, asked: str) -> dict:
    # No score: feedback on the card is scored again on the server, never taken from the card.
    return {"text": turn.t, "faq_id": entry.faq_id, "question": entry.question, "answer": entry.answer,
            "category": entry.category or "", "source_url": entry.source_url or "", "asked": asked}


def answer_card(turn: Turn, entry: FaqEntry, asked: str) -> dict:
    return render("answer", answer_data(turn, entry, asked))


def did_you_mean_data(turn: Turn, asked: str, entries: list[FaqEntry]) -> dict:
    return {"text": turn.t, "asked": asked,
            "candidates": [{"faq_id": e.faq_id, "question": e.question} for e in entries]}


def register(router: Router, faq: FaqService, questions: QuestionLog) -> None:
    """Any message not taken by an earlier route is a question for the FAQ."""

    @router.message(None)
    async def answer(turn: Turn) -> None:
        text = turn.text
        if not text:
            await turn.send_text(turn.t["empty"])
            return
        if len(text) > MAX_QUESTION_CHARS:
            await turn.send_text(turn.t["too_long"].format(limit=MAX_QUESTION_CHARS))
            return
        await reply_to_question(turn, text, await faq.ask(text))

    async def reply_to_question(turn: Turn, text: str, match: Match) -> None:
        if match.answered and (entry := faq.entry(match.faq_id or "")) is not None:
            await turn.send_card(answer_card(turn, entry, text), summary=entry.question)
            return
        suggestions = [(c, e) for c in match.suggestions if (e := faq.entry(c.faq_id)) is not None]
        if suggestions:
            card = render("did_you_mean", did_you_mean_data(turn, text, [e for _, e in suggestions]))
            await turn.send_card(card, summary=turn.t["did_you_mean"])
            return
        question_id = await questions.unanswered(asker(turn), text, match.nearest, match.score)
        await turn.send_card(no_answer_card(turn, question_id), summary=turn.t["no_answer"])

    @router.card_action("faq.choose", Choice)
    async def choose(turn: Turn, data: Choice) -> CardReply:
        entry = faq.entry(data.faq_id)
        if entry is None:
            return CardReply(text=turn.t["card_expired"])
        if data.asked:
            try:
                await questions.chosen(asker(turn), data.asked, entry.faq_id)
            except Exception:  # noqa: BLE001 - bookkeeping; the person still gets the answer they chose
                logger.warning("could not record a did-you-mean choice of %s (run dx-sync provision?)",
                               entry.faq_id, exc_info=True)
        return CardReply(card=answer_card(turn, entry, data.asked))

    @router.card_action("faq.none", NoneOfThese)
    async def none_of_these(turn: Turn, data: NoneOfThese) -> CardReply:
        match = await faq.ask(data.asked) if data.asked else None
        question_id = await questions.unanswered(
            asker(turn), data.asked or "-", match.nearest if match else None, match.score if match else 0.0)
        return CardReply(card=no_answer_card(turn, question_id))
