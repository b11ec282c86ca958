"""The DX community bot's routes: help, greetings, FAQ answers and what their cards send back."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from bot.conversations import ConversationReference, ConversationStore
from bot.faq.importer import FaqEntry
from bot.faq.matcher import Match
from bot.faq.service import FaqService
from bot.faq.text import ONLY_PLEASANTRIES
from bot.questions import QuestionLog
from bot.router import InvokeResult, Router
from bot.turn import CardReply, ReplyFailed, Turn
from cards import render

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
# The two announcements of one install arrive within seconds of each other.
WELCOME_WINDOW_SECONDS = 600
GREETING = re.compile(r"(こんにちは|こんにちわ|おはよう(ございます)?|こんばんは|はじめまして|hello|hi|hey)[!！。.]*",
                      re.IGNORECASE)
WHO_ARE_YOU = re.compile(r"((あなた|君|きみ)(は|って)(誰|だれ|何|なに)(ですか)?|何ができる(の|んですか)?"
                         r"|who are you|what can you do)[?？!！。.]*",
                         re.IGNORECASE)
THANKS = re.compile(r"(ありがとう(ございます|ございました)?|どうも|助かりました|thanks?( you)?)[!！。.]*",
                    re.IGNORECASE)


class _CardData(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Feedback(_CardData):
    faq_id: str = Field(alias="faqId", min_length=1, max_length=64)
    helpful: bool
    asked: str = Field("", max_length=MAX_QUESTION_CHARS)
    score: float = Field(0.0, ge=0.0, le=1.0)


class Choice(_CardData):
    faq_id: str = Field(alias="faqId", min_length=1, max_length=64)
    asked: str = Field("", max_length=MAX_QUESTION_CHARS)


class NoneOfThese(_CardData):
    asked: str = Field("", max_length=MAX_QUESTION_CHARS)


class Escalation(_CardData):
    question_id: str = Field(alias="questionId", pattern=r"^Q-\d{8}-[0-9A-F]{6}$")


class Empty(_CardData):
    pass


@dataclass(frozen=True, slots=True)
class Services:
    """What the routes need, built once in the composition root."""

    faq: FaqService
    questions: QuestionLog
    conversations: ConversationStore


def asker(turn: Turn) -> str:
    """Who asked, as the Questions list records it: the Entra object id when Teams gives it."""
    return turn.sender.aad_object_id or turn.sender.id


# Each card is a template of cards/ and the data it is filled with; the data functions are
# public so the tests can fill every template with the official Adaptive Cards templating too.

def answer_data(turn: Turn, entry: FaqEntry, asked: str, score: float) -> dict:
    return {"text": turn.t, "faq_id": entry.faq_id, "question": entry.question, "answer": entry.answer,
            "category": entry.category or "", "source_url": entry.source_url or "", "asked": asked,
            "score": round(score, 4)}


def answer_card(turn: Turn, entry: FaqEntry, asked: str, score: float) -> dict:
    return render("answer", answer_data(turn, entry, asked, score))


def did_you_mean_data(turn: Turn, asked: str, entries: list[FaqEntry]) -> dict:
    return {"text": turn.t, "asked": asked,
            "candidates": [{"faq_id": e.faq_id, "question": e.question} for e in entries]}


def no_answer_data(turn: Turn, question_id: str) -> dict:
    return {"text": turn.t, "question_id": question_id}


def no_answer_card(turn: Turn, question_id: str) -> dict:
    return render("no_answer", no_answer_data(turn, question_id))


def help_data(turn: Turn) -> dict:
    t = turn.t
    examples = [{"title": t["example"], "value": t[k]} for k in ("ex_share", "ex_deadline", "ex_leader", "ex_proposal")]
    commands = [{"title": t["cmd_help"], "value": t["cmd_help_value"]},
                {"title": t["cmd_question"], "value": t["cmd_question_value"]}]
    return {"text": t, "commands": commands + examples}


def help_card(turn: Turn) -> dict:
    return render("help", help_data(turn))


def welcome_data(turn: Turn) -> dict:
    t = turn.t
    examples = [{"title": t["example"], "value": t[k]} for k in ("ex_share", "ex_deadline", "ex_leader")]
    return {"text": t, "examples": examples, "in_channel": turn.conversation_kind == "channel"}


def welcome_card(turn: Turn) -> dict:
    return render("welcome", welcome_data(turn))


def build_router(services: Services) -> Router:
    """Every route of the bot, first match wins; the FAQ is the catch-all."""
    router = Router()
    faq, questions = services.faq, services.questions

    @router.message("ヘルプ")
    @router.message("help")
    @router.message("使い方")
    @router.message("?")
    async def show_help(turn: Turn) -> None:
        await turn.send_card(help_card(turn), summary=turn.t["help_title"])

    @router.message(GREETING)
    async def greet(turn: Turn) -> None:
        await turn.send_text(turn.t["greeting"])

    @router.message(ONLY_PLEASANTRIES)  # お疲れ様です。よろしくお願いします
    async def greet_at_work(turn: Turn) -> None:
        await turn.send_text(turn.t["greeting_work"])

    @router.message(WHO_ARE_YOU)
    async def introduce(turn: Turn) -> None:
        await turn.send_card(welcome_card(turn), summary=turn.t["welcome_title"])

    @router.message(THANKS)
    async def thanked(turn: Turn) -> None:
        await turn.send_text(turn.t["thanks"])

    # Teams announces an install twice (conversationUpdate with the bot in membersAdded, and
    # installationUpdate), in either order, and sometimes only one of them (an install made
    # through Graph): whichever comes first welcomes, the other finds it done.
    welcomed: dict[str, float] = {}

    async def welcome_once(turn: Turn) -> None:
        now = time.monotonic()
        for conversation, at in list(welcomed.items()):
            if now - at > WELCOME_WINDOW_SECONDS:
                del welcomed[conversation]
        if turn.conversation_id in welcomed:
            return
        welcomed[turn.conversation_id] = now
        try:
            await turn.send_card(welcome_card(turn), summary=turn.t["welcome_title"])
        except BaseException:
            del welcomed[turn.conversation_id]  # not welcomed: the other announcement may try
            raise

    @router.conversation_update("membersAdded")
    async def members_added(turn: Turn) -> None:
        bot_id = (turn.activity.get("recipient") or {}).get("id")
        added = [m.get("id") for m in turn.activity.get("membersAdded") or []]
        if bot_id in added:  # when the bot itself joins, not for every new member
            await welcome_once(turn)

    @router.conversation_update("installed")
    async def installed(turn: Turn) -> None:
        await welcome_once(turn)

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
            await turn.send_card(answer_card(turn, entry, text, match.score), summary=entry.question)
            return
        suggestions = [(c, e) for c in match.suggestions if (e := faq.entry(c.faq_id)) is not None]
        if suggestions:
            card = render("did_you_mean", did_you_mean_data(turn, text, [e for _, e in suggestions]))
            await turn.send_card(card, summary=turn.t["did_you_mean"])
            return
        question_id = await questions.unanswered(asker(turn), text, match.nearest, match.score)
        await turn.send_card(no_answer_card(turn, question_id), summary=turn.t["no_answer"])

    @router.card_action("faq.feedback", Feedback)
    async def feedback(turn: Turn, data: Feedback) -> CardReply:
        question_id = await questions.feedback(asker(turn), data.asked, data.faq_id, data.score, data.helpful)
        if data.helpful:
            return CardReply(text=turn.t["thanks_feedback"])
        await turn.send_card(no_answer_card(turn, question_id), summary=turn.t["no_answer"])
        return CardReply(text=turn.t["sorry_feedback"])

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
        return CardReply(card=answer_card(turn, entry, data.asked, 1.0))

    @router.card_action("faq.none", NoneOfThese)
    async def none_of_these(turn: Turn, data: NoneOfThese) -> CardReply:
        match = await faq.ask(data.asked) if data.asked else None
        question_id = await questions.unanswered(
            asker(turn), data.asked or "-", match.nearest if match else None, match.score if match else 0.0)
        return CardReply(card=no_answer_card(turn, question_id))

    @router.card_action("question.escalate", Escalation)
    async def escalate(turn: Turn, data: Escalation) -> CardReply:
        if not await questions.escalate(data.question_id):
            return CardReply(text=turn.t["card_expired"])
        return CardReply(text=turn.t["escalated"].format(question_id=data.question_id))

    @router.card_action("help.show", Empty)
    async def help_from_card(turn: Turn, data: Empty) -> CardReply:
        return CardReply(card=help_card(turn))

    @router.error
    async def on_error(turn: Turn, error: Exception) -> None:
        if isinstance(error, ReplyFailed):
            # The channel is what failed: one line, and no second reply down the same road.
            logger.warning("reply not delivered: correlation_id=%s conversation=%s (%s)",
                           turn.correlation_id, turn.conversation_id, error)
            return
        # Ids only: never the message text or who sent it (personal data) in the log.
        logger.error("turn failed: correlation_id=%s activity_id=%s conversation=%s type=%s",
                     turn.correlation_id, turn.activity.get("id"), turn.conversation_id, turn.type,
                     exc_info=error)
        if turn.type != "invoke":
            try:
                await turn.send_text(turn.t["error"].format(correlation_id=turn.correlation_id))
            except Exception:  # noqa: BLE001 - the channel itself may be what failed
                logger.warning("could not tell the user about correlation_id=%s", turn.correlation_id)

    return router


class Pipeline:
    """One turn: remember who is talking, then route. The edge and the terminal chat call this."""

    def __init__(self, router: Router, conversations: ConversationStore) -> None:
        self.router = router
        self._conversations = conversations

    async def on_turn(self, turn: Turn) -> InvokeResult | None:
        if turn.type in {"message", "invoke", "installationUpdate", "conversationUpdate"}:
            reference = ConversationReference.from_activity(turn.activity)
            if reference is not None:
                await self._conversations.remember(reference)
        return await self.router.dispatch(turn)
