"""Questions the FAQ could not settle: what staff said of an answer, and 「担当者に聞く」.

Every action names only the card it came from; the question, the entry and the score are the
ones the bot remembered when it sent the card (bot/sent_cards.py).
"""

from __future__ import annotations

from bot.faq.service import FaqService
from bot.features.answer_cards import answer_card, no_answer_card
from bot.features.cards import FromSentCard, sent_card
from bot.questions import QuestionLog
from bot.router import Router
from bot.sent_cards import SentCards
from bot.turn import CardReply, Turn


class Feedback(FromSentCard):
    """「役に立った」 / 「解決しない」 on an answer card."""

    helpful: bool


class Escalation(FromSentCard):
    """「担当者に聞く」 on a no-answer card."""


def register(router: Router, questions: QuestionLog, cards: SentCards, faq: FaqService) -> None:
    """Feedback on answers and sending a question on to a person."""

    @router.card_action("faq.feedback", Feedback)
    async def feedback(turn: Turn, data: Feedback) -> CardReply:
        answer = await sent_card(cards, data, "answer", turn.sender.key)
        if answer is None:
            return CardReply(text=turn.t["card_expired"])
        follow_up = await questions.feedback(answer, data.helpful)
        if follow_up is not None:
            await turn.send_card(no_answer_card(turn, follow_up.card_id, not_solved=True),
                                 summary=turn.t["sorry_feedback"])
        rated = turn.t["rated_helpful" if data.helpful else "rated_not_helpful"]
        entry = faq.entry(answer.faq_id or "")
        if entry is None:  # the entry left the FAQ since: say it in words
            return CardReply(text=rated)
        # The answer card stays, showing the choice: pressing the other button changes it.
        return CardReply(card=answer_card(turn, entry, answer.card_id, rated))

    @router.card_action("question.escalate", Escalation)
    async def escalate(turn: Turn, data: Escalation) -> CardReply:
        no_answer = await sent_card(cards, data, "no_answer", turn.sender.key)
        if no_answer is None:
            return CardReply(text=turn.t["card_expired"])
        await questions.escalate(no_answer)
        return CardReply(text=turn.t["escalated"].format(question_id=no_answer.question_id))
