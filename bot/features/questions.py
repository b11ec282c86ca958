"""Questions the FAQ could not settle: recorded in the Questions list, with what staff said of
an answer, and sent on to a person with 「担当者に聞く」."""

from __future__ import annotations

from pydantic import Field

from bot.faq.service import FaqService
from bot.features.cards import MAX_QUESTION_CHARS, CardData
from bot.questions import QuestionLog, asker
from bot.router import Router
from bot.turn import CardReply, Turn
from cards import render


class Feedback(CardData):
    """「役に立った」 / 「解決しない」 on an answer card. A score the card may echo is ignored:
    what is recorded is what the matcher says of the asked text, worked out here."""

    faq_id: str = Field(alias="faqId", min_length=1, max_length=64)
    helpful: bool
    asked: str = Field("", max_length=MAX_QUESTION_CHARS)


class Escalation(CardData):
    """「担当者に聞く」 on a no-answer card."""

    question_id: str = Field(alias="questionId", pattern=r"^Q-\d{8}-[0-9A-F]{6}$")


def no_answer_data(turn: Turn, question_id: str) -> dict:
    return {"text": turn.t, "question_id": question_id}


def no_answer_card(turn: Turn, question_id: str) -> dict:
    return render("no_answer", no_answer_data(turn, question_id))


async def score_of(faq: FaqService, asked: str, faq_id: str) -> float:
    """How well `faq_id` fits `asked`, by the matcher (0 when it is not among the candidates)."""
    if not asked:
        return 0.0
    match = await faq.ask(asked)
    return next((c.score for c in match.candidates if c.faq_id == faq_id), 0.0)


def register(router: Router, questions: QuestionLog, faq: FaqService) -> None:
    """Feedback on answers and sending a question on to a person."""

    @router.card_action("faq.feedback", Feedback)
    async def feedback(turn: Turn, data: Feedback) -> CardReply:
        score = await score_of(faq, data.asked, data.faq_id)
        question_id = await questions.feedback(asker(turn), data.asked, data.faq_id, score, data.helpful)
        if data.helpful:
            return CardReply(text=turn.t["thanks_feedback"])
        await turn.send_card(no_answer_card(turn, question_id), summary=turn.t["no_answer"])
        return CardReply(text=turn.t["sorry_feedback"])

    @router.card_action("question.escalate", Escalation)
    async def escalate(turn: Turn, data: Escalation) -> CardReply:
        if not await questions.escalate(data.question_id):
            return CardReply(text=turn.t["card_expired"])
        return CardReply(text=turn.t["escalated"].format(question_id=data.question_id))
