"""Questions the FAQ could not settle: what staff said of an answer, and 「担当者に聞く」.

Every action names only the card it came from; the question, the entry and the score are the
ones the bot remembered when it sent the card (bot/sent_cards.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Awaitable, Callable, Mapping

from pydantic import Field

from bot.answers import AnswerWatch
from bot.conversations import ConversationReference
from bot.faq.service import FaqService
from bot.features.answer_cards import answer_card, no_answer_card
from bot.features.cards import MAX_QUESTION_CHARS, CardData, FromSentCard, sent_card
from bot.people import Directory
from bot.proposals.numbering import JST
from bot.questions import WAITING, QuestionLog
from bot.router import Router
from bot.sent_cards import SentCards
from bot.tickets import TicketDesk, allowed_steps
from bot.turn import CardReply, Turn
from cards import inert, render
from liststore import Item

# 「質問」 alone, or with the question after it: straight to a person, confirmed first.
ASK_COMMAND = re.compile(r"\s*(質問|しつもん|担当者に聞く|ask a person)(?:[\s:：]+(?P<question>.+?))?\s*",
                         re.IGNORECASE | re.DOTALL)


class Feedback(FromSentCard):
    """「役に立った」 / 「解決しない」 on an answer card."""

    helpful: bool


class Escalation(FromSentCard):
    """「担当者に聞く」 on a no-answer card."""


class SendToPerson(FromSentCard):
    """「この内容で送る」 on the confirmation card, with the question as the person left it."""

    question: Any = None


def ask_person_data(turn: Turn, card_id: str, question: str, problem: str = "") -> dict:
    return {"text": turn.t, "card_id": card_id, "question": question, "problem": problem}


def ask_sent_data(turn: Turn, question_id: str, question: str, days: int) -> dict:
    return {"text": turn.t, "question_id": question_id, "question": inert(question),
            "expect": turn.t["ask_expect"].format(days=days)}


TICKET_BUTTONS = {"take": "ticket_take", "answer": "ticket_send", "close": "ticket_close",
                  "release": "ticket_release", "promote": "ticket_promote", "publish": "ticket_publish"}


def ticket_data(t: Mapping[str, str], item: Item, nearest: str, expert: bool = False, notice: str = "",
                draft: bool = False, banner: str = "", leader: bool = False) -> dict:
    """A question as the experts' channel shows it (what the Questions list holds: masked);
    `expert`: with the answer box and the steps it allows; `leader`: a leader it was routed to
    (the steps without making FAQ entries); `banner`: a line above it (`ticket_banner`)."""
    f = item.fields
    asker = "・".join(str(v) for v in (f.get("AskerName"), f.get("Section"), f.get("Bureau")) if v) or "-"
    holder = str(f.get("AssignedTo") or "")
    if holder and f.get("AssignedAt"):
        holder = f"{holder}（{_japan_time(str(f['AssignedAt']))}〜）"
    status = str(f.get("Status") or "")
    steps = allowed_steps(item) if expert or leader else []
    if expert and f.get("Answer") and status != "FAQ化":
        steps.append("promote")
    if expert and draft:
        steps.append("publish")
    return {"text": t, "question_id": item.key, "question": inert(str(f.get("QuestionText") or "")),
            "asker": inert(asker), "nearest": nearest or "-", "asked_at": _japan_time(str(f.get("AskedAt") or "")),
            "status": status or "-", "holder": inert(holder) or t["ticket_nobody"],
            "answer": inert(str(f.get("Answer") or "")), "notice": notice, "expert": bool(steps), "banner": banner,
            "buttons": [{"do": s, "title": t[TICKET_BUTTONS[s]]} for s in steps]}


def ticket_banner(t: Mapping[str, str], item: Item, copy: str, leader_hours: float | None) -> str:
    """The line above a copy of the ticket while nobody has taken it: posted again, or why a
    leader received it and (`leader_hours`, when there is a channel to go to) for how long."""
    if item.fields.get("Status") != WAITING or item.fields.get("AssignedTo"):
        return ""
    if copy == "again":
        return t["ticket_again"]
    if copy == "leader":
        section = inert(str(item.fields.get("Section") or ""))
        if leader_hours is None:
            return t["ticket_leader_only"].format(section=section)
        minutes = max(1, round(leader_hours * 60))
        wait = (t["wait_one_hour"] if minutes == 60 else t["wait_hours"].format(n=minutes // 60) if minutes % 60 == 0
                else t["wait_minutes"].format(n=minutes))
        return t["ticket_leader"].format(section=section, wait=wait)
    return ""


def nearest_text(faq: FaqService, item: Item) -> str:
    """The FAQ entry a question came nearest to, as a ticket names it ("" when none)."""
    nearest = faq.entry(str(item.fields.get("FaqId") or ""))
    return f"{nearest.faq_id} {nearest.question}" if nearest else ""


def _japan_time(moment: str) -> str:
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(JST).strftime("%Y/%m/%d %H:%M")
    except ValueError:
        return moment


def person_answer_data(t: Mapping[str, str], item: Item, card_id: str, said: str = "") -> dict:
    """A person's answer as the asker receives it."""
    f = item.fields
    return {"text": t, "card_id": card_id, "question_id": item.key,
            "question": inert(str(f.get("QuestionText") or "")), "answer": str(f.get("Answer") or ""),
            "answered_by": inert(str(f.get("AnsweredBy") or "-")), "said": said}


class OnPersonAnswer(FromSentCard):
    """「解決した」 / 「まだ解決しない」 on a person's answer."""


def register(router: Router, questions: QuestionLog, cards: SentCards, faq: FaqService, people: Directory,
             answers: AnswerWatch, answer_days: int = 3) -> None:
    """Feedback on answers and sending a question on to a person."""

    async def settle(turn: Turn, data: OnPersonAnswer, solved: bool) -> CardReply:
        card = await sent_card(cards, data, "person_answer", turn.sender.key)
        if card is None:
            return CardReply(text=turn.t["card_expired"])
        await answers.settle(card, solved)
        return CardReply(text=turn.t["pa_said_solved" if solved else "pa_said_unsolved"])

    @router.card_action("answer.solved", OnPersonAnswer)
    async def solved(turn: Turn, data: OnPersonAnswer) -> CardReply:
        return await settle(turn, data, True)

    @router.card_action("answer.unsolved", OnPersonAnswer)
    async def unsolved(turn: Turn, data: OnPersonAnswer) -> CardReply:
        return await settle(turn, data, False)

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
        """First the question, to confirm or edit before a person reads it."""
        no_answer = await sent_card(cards, data, "no_answer", turn.sender.key)
        if no_answer is None:
            return CardReply(text=turn.t["card_expired"])
        return CardReply(card=render("ask_person", ask_person_data(turn, no_answer.card_id, no_answer.asked)))

    @router.message(ASK_COMMAND)
    async def ask_command(turn: Turn) -> None:
        found = ASK_COMMAND.fullmatch(turn.text)
        question = (found.group("question") or "").strip() if found else ""
        card = await questions.direct(turn.sender.key, question[:MAX_QUESTION_CHARS])
        await turn.send_card(render("ask_person", ask_person_data(turn, card.card_id, question[:MAX_QUESTION_CHARS])),
                             summary=turn.t["ask_human"])

    @router.card_action("question.send", SendToPerson)
    async def send(turn: Turn, data: SendToPerson) -> CardReply:
        no_answer = await sent_card(cards, data, "no_answer", turn.sender.key)
        if no_answer is None:
            return CardReply(text=turn.t["card_expired"])
        typed = data.question if isinstance(data.question, str) else ""
        question = " ".join(typed.split()) if "\n" not in typed else typed.strip()
        if not question or len(question) > MAX_QUESTION_CHARS:
            problem = (turn.t["ask_empty"] if not question else
                       turn.t["ask_too_long"].format(limit=MAX_QUESTION_CHARS, length=len(question)))
            return CardReply(card=render("ask_person", ask_person_data(turn, no_answer.card_id, typed, problem)))
        await questions.send_to_person(no_answer, question, await people.asker(turn), ConversationReference.of(turn))
        return CardReply(card=render("ask_sent", ask_sent_data(turn, no_answer.question_id, question, answer_days)))


# Told of a question a step changed (the question as it is now).
Changed = Callable[[Item], Awaitable[None]]


class TicketRef(CardData):
    """A ticket card's refresh: which question."""

    question_id: str = Field(alias="questionId", pattern=r"^Q-\d{8}-[0-9A-F]{6}$")


class TicketStep(TicketRef):
    """An expert's button, with the card's answer box."""

    do: str = Field(min_length=1, max_length=10)
    answer: Any = None


def register_tickets(router: Router, tickets: TicketDesk, people: Directory, faq: FaqService,
                     changed: Changed | None = None, leader_hours: float | None = None) -> None:
    """The ticket card's refresh and the experts' (and routed leaders') buttons. `changed`: told
    of each step taken, so every posted copy of the ticket shows it."""

    async def roles(turn: Turn, item: Item) -> tuple[bool, bool]:
        """(an expert, a leader the question was routed to): read once a click."""
        expert = await tickets.is_expert(turn.sender.aad_object_id or "")
        return expert, not expert and await tickets.is_leader_of(item, turn.sender.key)

    async def card(turn: Turn, item: Item, notice: str = "") -> dict:
        expert, leader = await roles(turn, item)
        return await card_for(turn, item, expert, leader, notice)

    async def card_for(turn: Turn, item: Item, expert: bool, leader: bool, notice: str = "") -> dict:
        draft = expert and await tickets.draft_of(item) is not None
        # In a leader's own chat the card keeps saying why it came to them.
        banner = ticket_banner(turn.t, item, "leader", leader_hours) if leader and not turn.is_in(tickets.channel) \
            else ""
        return render("ticket", ticket_data(turn.t, item, nearest_text(faq, item), expert, notice, draft, banner,
                                            leader))

    @router.card_action("ticket.refresh", TicketRef)
    async def refresh(turn: Turn, data: TicketRef) -> CardReply:
        item = await tickets.question(data.question_id)
        if item is None:
            return CardReply(text=turn.t["card_expired"])
        expert, leader = await roles(turn, item)
        # The asker, the experts' channel, the experts and the leaders it was routed to.
        if not (expert or leader or turn.sender.key == item.fields.get("AskedBy") or turn.is_in(tickets.channel)):
            return CardReply(text=turn.t["ticket_not_visible"])
        return CardReply(card=await card_for(turn, item, expert, leader))

    @router.card_action("ticket.act", TicketStep)
    async def act(turn: Turn, data: TicketStep) -> CardReply:
        expert = await people.asker(turn)
        answer = data.answer if isinstance(data.answer, str) else ""
        handled = await tickets.act(data.question_id, data.do, turn.sender.aad_object_id or "",
                                    expert.display_name, answer, user_key=turn.sender.key)
        if handled.item is None:
            return CardReply(text=turn.t[handled.refused or "card_expired"])
        if changed is not None and handled.refused is None:
            await changed(handled.item)
        label = turn.t.get(TICKET_BUTTONS.get(data.do, ""), data.do)
        notice = turn.t[handled.refused] if handled.refused else turn.t["ticket_done"].format(action=label)
        if data.do == "promote" and not handled.refused:
            notice = turn.t["ticket_drafted"].format(faq_id=handled.item.fields.get("FaqId"))
        return CardReply(card=await card(turn, handled.item, notice))
