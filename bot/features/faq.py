"""Answers from the FAQ: an answer card, a "did you mean" card, or a no-answer card; the
catch-all route, so it is registered last."""

from __future__ import annotations

import re

from pydantic import Field

from bot.faq.entry import FaqEntry
from bot.faq.matcher import Match
from bot.faq.off_topic import load_off_topic
from bot.faq.service import FaqService
from bot.features.answer_cards import answer_card, no_answer_card
from bot.features.cards import MAX_QUESTION_CHARS, FromSentCard, sent_card
from bot.questions import QuestionLog
from bot.router import Router
from bot.sent_cards import SentCards
from bot.turn import CardReply, Turn
from cards import inert, render

MAX_CHOICES = 10
# A reply typed to a "did you mean" card instead of pressing its buttons.
YES_NO = re.compile(r"\s*(はい|いいえ|うん|ううん|いや|違います|ちがいます|そうです|yes|no|nope)[\s!！。.?？]*",
                    re.IGNORECASE)


class Choice(FromSentCard):
    """A candidate picked on a "did you mean" card, by its place among those offered."""

    choice: int = Field(ge=0, lt=MAX_CHOICES)


class NoneOfThese(FromSentCard):
    """「どれでもない」 on a "did you mean" card."""


def did_you_mean_data(turn: Turn, entries: list[FaqEntry], card_id: str) -> dict:
    """One candidate: 「もしかして：…ですか？」 with yes and no. Several: their full questions in
    the card's body, numbered, and short numbered buttons (Teams and the standard renderer cut
    a long button title short: 「業務改善…」)."""
    t = turn.t
    if len(entries) == 1:
        question = inert(entries[0].question.rstrip("？?"))  # 「…ですか？」 asks already
        return {"text": t, "card_id": card_id, "prompt": t["dym_one"].format(question=question),
                "listed": [], "candidates": [{"choice": 0, "title": t["dym_yes"]}], "none_title": t["dym_no"]}
    return {"text": t, "card_id": card_id, "prompt": t["did_you_mean"],
            "listed": [{"label": f"{n}. {inert(e.question)}"} for n, e in enumerate(entries, 1)],
            "candidates": [{"choice": n, "title": t["dym_pick"].format(n=n + 1)} for n in range(len(entries))],
            "none_title": t["none_of_these"]}


def register(router: Router, faq: FaqService, questions: QuestionLog, cards: SentCards) -> None:
    """Any message not taken by an earlier route is a question for the FAQ."""

    @router.message(YES_NO)
    async def typed_yes_or_no(turn: Turn) -> None:
        # Not a question (nor a gap in the FAQ): the card's buttons say which entry was meant.
        await turn.send_text(turn.t["yes_no_typed"])

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
        asker = turn.sender.key
        if match.answered and (entry := faq.entry(match.faq_id or "")) is not None:
            sent = await questions.answered(asker, text, entry.faq_id, match.score)
            await turn.send_card(answer_card(turn, entry, sent.card_id), summary=entry.question)
            return
        topic = load_off_topic().topic_of(text)
        if topic is not None:
            # Not the DX community's (no FAQ answer, a topic of elsewhere, no DX word): say where
            # it goes; no "did you mean", no expert, no gap in the FAQ.
            await turn.send_text(turn.t["off_topic"].format(topic=topic.name, where=topic.where))
            return
        offered = [e for c in match.suggestions[:MAX_CHOICES] if (e := faq.entry(c.faq_id)) is not None]
        if offered:
            sent = await questions.offered(asker, text, [e.faq_id for e in offered], match.score)
            card = render("did_you_mean", did_you_mean_data(turn, offered, sent.card_id))
            await turn.send_card(card, summary=turn.t["did_you_mean"])
            return
        sent = await questions.unanswered(asker, text, match.nearest_faq_id, match.score)
        await turn.send_card(no_answer_card(turn, sent.card_id), summary=turn.t["no_answer"])

    @router.card_action("faq.choose", Choice)
    async def choose(turn: Turn, data: Choice) -> CardReply:
        offered = await sent_card(cards, data, "choices", turn.sender.key)
        entry = (faq.entry(offered.candidates[data.choice])
                 if offered is not None and data.choice < len(offered.candidates) else None)
        if offered is None or entry is None:
            return CardReply(text=turn.t["card_expired"])
        answer = await questions.chosen(offered, entry.faq_id)
        return CardReply(card=answer_card(turn, entry, answer.card_id))

    @router.card_action("faq.none", NoneOfThese)
    async def none_of_these(turn: Turn, data: NoneOfThese) -> CardReply:
        offered = await sent_card(cards, data, "choices", turn.sender.key)
        if offered is None:
            return CardReply(text=turn.t["card_expired"])
        no_answer = await questions.none_of_these(offered)
        return CardReply(card=no_answer_card(turn, no_answer.card_id))
