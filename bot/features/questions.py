"""Questions the FAQ could not settle: what staff said of an answer, and 「担当者に聞く」.

Every action names only the card it came from; the question, the entry and the score are the
ones the bot remembered when it sent the card (bot/sent_cards.py).
"""

from __future__ import annotations

from bot.features.cards import FromSentCard, sent_card
from bot.questions import QuestionLog
from bot.router import Router
from bot.sent_cards import SentCards
from bot.turn import CardReply, Turn
from cards import render


class Feedback(FromSentCard):
    """「役に立った」 / 「解決しない」 on an answer card."""

    helpful: bool


class Escalation(FromSentCard):
    """「担当者に聞く」 on a no-answer card."""


def no_answer_data(turn: Turn, card_id: str) -> dict:
    return {"text": turn.t, "card_id": card_id}


def no_answer_card(turn: Turn, card_id: str) -> dict:
    return render("no_answer", no_answer_data(turn, card_id))


def register(router: Router, questions: QuestionLog, cards: SentCards) -> None:
    """Feedback on answers and sending a question on to a person."""

    @router.card_action("faq.feedback", Feedback)
    async def feedback(turn: Turn, data: Feedback) -> CardReply:
        answer = await sent_card(cards, data, "answer", turn.sender.key)
        if answer is None:
            return CardReply(text=turn.t["card_expired"])
        follow_up = await questions.feedback(answer, data.helpful)
        if follow_up is None:
            return CardReply(text=turn.t["thanks_feedback"])
        await turn.send_card(no_answer_card(turn, follow_up.card_id), summary=turn.t["no_answer"])
        return CardReply(text=turn.t["sorry_feedback"])

    @router.card_action("question.escalate", Escalation)
    async def escalate(turn: Turn, data: Escalation) -> CardReply:
        no_answer = await sent_card(cards, data, "no_answer", turn.sender.key)
        if no_answer is None:
            return CardReply(text=turn.t["card_expired"])
        await questions.escalate(no_answer)
        return CardReply(text=turn.t["escalated"].format(question_id=no_answer.question_id))
