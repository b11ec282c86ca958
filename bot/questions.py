"""Questions the bot could not answer, and what staff said of its answers, in the Questions list.

The DX division reads that list: an unanswered question is 未回答, one sent to a person is
回答待ち, feedback is kept with the FAQ entry it was about. Nothing here writes the list during
a turn: a turn remembers the card it sends and enqueues the write in the same transaction
(`BotState.commit`), and the outbox worker delivers it through `handlers()`, so a list that is
down, throttled or not yet provisioned delays a record but never loses one, and a retried
write (keyed by the question id) never makes a second item.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, replace
from typing import Any, Awaitable, Callable, Mapping, NamedTuple, Sequence

from bot.conversations import ConversationReference
from bot.outbox import Handler, Undeliverable
from bot.ownership import writes
from bot.people import Asker
from bot.sent_cards import SentCard, new_card_id
from bot.state import BotState, Work
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Upsert
from tabular.privacy import mask_personal

logger = logging.getLogger(__name__)

QUESTIONS_LIST = "Questions"
UNANSWERED = "未回答"
WAITING = "回答待ち"  # sent to a person with 「担当者に聞く」
CLOSED = "クローズ"
CHOSEN = "候補から選択"  # 評価 of a pick from "did you mean": a person matched a wording to an entry
PROMOTED = "FAQ化"  # 状態 once the question's wording (or its answer) is in the FAQ
HELPFUL, NOT_HELPFUL = "役に立った", "解決しない"

# Outbox work kinds this module delivers.
RECORD, ESCALATE, TICKET = "questions.record", "questions.escalate", "questions.ticket"
# Posts a question just sent to a person where it goes first (bot/ticket_posts.py):
# (the question, the asker's conversation, their section, their bureau).
FirstPosts = Callable[[Item, ConversationReference, "str | None", "str | None"], Awaitable[None]]
NONE_PICKED = "-"  # SentCard.picked after 「どれでもない」


class Pick(NamedTuple):
    """One recorded "did you mean" pick: the question item, what was asked, the entry chosen."""

    question_id: str
    text: str
    faq_id: str


class NotYetRecorded(Exception):
    """The question's own record has not reached the list yet: try again later."""


# The statuses the bot moves a question between; any other (回答待ち, 回答済み, FAQ化) was set by
# a person or by 「担当者に聞く」 and is never undone by a later click.
BOT_STATUSES = frozenset({UNANSWERED, CLOSED})


class QuestionLog:
    """The cards the FAQ sends, remembered, and the one Questions item each card may have."""

    def __init__(self, store: ListStore, state: BotState, clock: Clock = utc_now, *,
                 first_posts: FirstPosts | None = None) -> None:
        """`first_posts`: where a question sent to a person is posted (None: the list only)."""
        self._store = store
        self._state = state
        self._clock = clock
        self._first_posts = first_posts

    def _new_question_id(self) -> str:
        return f"Q-{self._clock():%Y%m%d}-{secrets.token_hex(3).upper()}"

    def _card(self, kind: str, asker: str, asked: str, **fields: Any) -> SentCard:
        question_id = fields.pop("question_id", None) or self._new_question_id()
        return SentCard(new_card_id(), kind, asker, asked, question_id, iso_seconds(self._clock()), **fields)

    async def _commit(self, cards: Sequence[SentCard], recorded: SentCard | None = None) -> None:
        """Remember `cards`; when `recorded` is given, enqueue writing its record as it is then.

        The work names the card, not the fields: delivery reads the card as it is by then, so
        two quick changes of mind, delivered in any order, leave the latest in the list.
        """
        work = [Work(f"{recorded.question_id}:{secrets.token_hex(6)}", RECORD,
                     {"card_id": recorded.card_id})] if recorded else []
        await self._state.commit(cards=cards, work=work, now=self._clock().timestamp())

    # ---- in a turn: remember the card, enqueue what it promises -------------------------------

    async def answered(self, asker: str, asked: str, faq_id: str, score: float) -> SentCard:
        """An answer card is about to be sent (nothing is recorded unless someone rates it)."""
        card = self._card("answer", asker, asked, faq_id=faq_id, score=score)
        await self._commit([card])
        return card

    async def offered(self, asker: str, asked: str, candidates: Sequence[str], score: float) -> SentCard:
        """A "did you mean" card is about to be sent with these candidates, best first."""
        card = self._card("choices", asker, asked, faq_id=candidates[0], score=score,
                          candidates=tuple(candidates))
        await self._commit([card])
        return card

    async def unanswered(self, asker: str, asked: str, nearest_faq_id: str | None, score: float) -> SentCard:
        """A no-answer card is about to be sent: the question is recorded as 未回答."""
        card = self._card("no_answer", asker, asked, faq_id=nearest_faq_id, score=score)
        await self._commit([card], card)
        return card

    async def direct(self, asker: str, asked: str) -> SentCard:
        """「質問」: a question for a person from the start. Nothing is recorded until it is sent."""
        card = self._card("no_answer", asker, asked, faq_id=None, score=None)
        await self._commit([card])
        return card

    async def none_of_these(self, offered: SentCard) -> SentCard:
        """「どれでもない」 on a "did you mean" card: the card's record says no entry fits (未回答),
        replacing a pick made on it before. Returns the no-answer card's record, under the same
        question, for 「担当者に聞く」."""
        settled = replace(offered, picked=NONE_PICKED)
        follow_up = self._card("no_answer", offered.asker, offered.asked, faq_id=offered.faq_id,
                               score=offered.score, question_id=offered.question_id)
        await self._commit([settled, follow_up], settled)
        return follow_up

    async def chosen(self, offered: SentCard, faq_id: str) -> SentCard:
        """Someone picked `faq_id` from "did you mean": the bot was unsure and a person settled it,
        so the wording is a ready-made alternate for that entry (a later pick on the same card
        replaces it). Returns the answer card's record: rating that answer is its own record."""
        settled = replace(offered, picked=faq_id)
        answer = self._card("answer", offered.asker, offered.asked, faq_id=faq_id)
        await self._commit([settled, answer], settled)
        return answer

    async def feedback(self, answer: SentCard, helpful: bool) -> SentCard | None:
        """Someone rated an answer card. The card's one Questions item takes the latest rating
        (a change of mind updates it, never adds another). After 「解決しない」, returns the
        no-answer card's record, under the same question, for 「担当者に聞く」."""
        rated = answer.with_feedback(HELPFUL if helpful else NOT_HELPFUL)
        follow_up = None if helpful else self._card("no_answer", answer.asker, answer.asked,
                                                     faq_id=answer.faq_id, score=answer.score,
                                                     question_id=answer.question_id)
        await self._commit([rated, *([follow_up] if follow_up else [])], rated)
        return follow_up

    async def send_to_person(self, no_answer: SentCard, question: str, asker: Asker,
                             reference: ConversationReference) -> None:
        """「担当者に聞く」, confirmed: the question, as the person last wrote it, waits for a person
        (回答待ち), with who asked, and goes to the experts' channel (once, however often sent)."""
        edited = replace(no_answer, asked=question)
        staff = asker.staff
        await self._state.commit(cards=[edited], work=[Work(f"{no_answer.question_id}:ticket", TICKET, {
            "card_id": edited.card_id, "name": asker.display_name,
            "section": staff.section if staff else None, "bureau": staff.bureau if staff else None,
            "reference": asdict(reference)})], now=self._clock().timestamp())

    # ---- delivery: what the outbox worker calls ------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        return {RECORD: self._deliver_record, ESCALATE: self._deliver_escalate, TICKET: self._deliver_ticket}

    async def _deliver_ticket(self, _key: str, payload: Mapping[str, Any]) -> None:
        card = await self._state.cards.get(str(payload["card_id"]))
        if card is None:
            raise Undeliverable("the question's card is no longer remembered")
        existing = await self._store.get(QUESTIONS_LIST, card.question_id)
        fields = {**self.record_of(card), "AskerName": payload.get("name"), "Section": payload.get("section"),
                  "Bureau": payload.get("bureau")}
        fields.pop("Feedback")  # a rating on the card stays as it was
        # Not recorded yet (「質問」, or the card's own record still on its way, which then finds
        # the question waiting and leaves it so): the ticket writes the whole record.
        current = existing.fields.get("Status") if existing is not None else UNANSWERED
        if current in BOT_STATUSES:
            fields["Status"] = WAITING
        else:
            fields.pop("Status")  # a person's step (回答済み, FAQ化) is never undone
            if current == PROMOTED:
                fields.pop("FaqId")  # nor the entry a promoted question became
        await self._upsert(card.question_id, fields)
        ticket = await self._store.get(QUESTIONS_LIST, card.question_id)
        if self._first_posts is not None and ticket is not None:
            # Enqueued under keys of their own: a retry of this work never posts twice.
            await self._first_posts(ticket, ConversationReference(**payload["reference"]),
                                    payload.get("section"), payload.get("bureau"))

    @staticmethod
    def record_of(card: SentCard) -> dict[str, object]:
        """The Questions columns a card's record has, as the card is now: what was asked, by
        whom, when, the FAQ entry it is about with the matcher's score, what the person said,
        and the status that follows from it."""
        # The division and its reports read this list: telephone numbers, individual numbers
        # and e-mail addresses a person typed into a question are not theirs to read.
        text = mask_personal(card.asked) or card.faq_id or "-"
        fields: dict[str, object] = {"Title": text[:255], "QuestionText": text, "AskedBy": card.asker,
                                     "AskedAt": card.sent_at, "FaqId": card.faq_id,
                                     "MatchScore": None if card.score is None else round(card.score, 4),
                                     "Feedback": None, "Status": UNANSWERED}
        if card.kind == "answer" and card.feedback:
            # A helpful answer needs nothing more; an unhelpful one is a question still open.
            fields.update(Feedback=card.feedback, Status=CLOSED if card.feedback == HELPFUL else UNANSWERED)
        elif card.kind == "choices" and card.picked and card.picked != NONE_PICKED:
            fields.update(FaqId=card.picked, MatchScore=None, Feedback=CHOSEN, Status=CLOSED)
        return fields

    async def _upsert(self, question_id: str, fields: Mapping[str, object]) -> None:
        writes(QUESTIONS_LIST, fields, Owner.BOT)
        [result] = await self._store.upsert(QUESTIONS_LIST, [Upsert(question_id, dict(fields))])
        if not result.ok:
            raise RuntimeError(f"could not record question {question_id}: {result.outcome}")

    async def _deliver_record(self, _key: str, payload: Mapping[str, Any]) -> None:
        card = await self._state.cards.get(str(payload["card_id"]))
        if card is None:
            raise Undeliverable("the card is no longer remembered")
        fields = self.record_of(card)
        existing = await self._store.get(QUESTIONS_LIST, card.question_id)
        if existing is not None and existing.fields.get("Status") not in BOT_STATUSES:
            # 回答待ち, 回答済み, FAQ化: a person's step, which a later click never undoes (nor the
            # entry a promoted question became).
            fields.pop("Status")
            if existing.fields.get("Status") == PROMOTED:
                fields.pop("FaqId")
        await self._upsert(card.question_id, fields)

    async def _deliver_escalate(self, _key: str, payload: Mapping[str, Any]) -> None:
        question_id = str(payload["question_id"])
        item = await self._store.get(QUESTIONS_LIST, question_id)
        if item is None:
            raise NotYetRecorded(question_id)
        if item.fields.get("Status") == UNANSWERED:
            await self._upsert(question_id, {"Status": WAITING})


async def picks(store: ListStore) -> list[Pick]:
    """Every "did you mean" pick not yet FAQ化."""
    return [Pick(item.key, str(f.get("QuestionText") or ""), str(f["FaqId"]))
            async for page in store.pages(QUESTIONS_LIST) for item in page
            if (f := item.fields).get("Feedback") == CHOSEN and f.get("Status") != PROMOTED
            and f.get("FaqId")]


async def promoted(store: ListStore, question_ids: Sequence[str]) -> int:
    """Mark questions whose wording the FAQ now has as FAQ化; returns how many were written."""
    if not question_ids:
        return 0
    writes(QUESTIONS_LIST, ["Status"], Owner.DIVISION)  # the division's review of the picks
    results = await store.upsert(QUESTIONS_LIST, [Upsert(q, {"Status": PROMOTED}) for q in question_ids])
    return sum(r.ok for r in results)
