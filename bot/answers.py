"""Answers written by a person reach the person who asked, once.

The DX division answers in the Questions list (回答, 回答者), by hand or from a Power App. The
bot reads the list's change feed; an answer it has not seen (new, or changed) is told to the
asker's personal chat once: the cursor, the answers seen and the notifications are committed
together, as the proposals' status watch does (bot/proposals/watch.py). The asker says
「解決した」 (クローズ) or 「まだ解決しない」 (back to 回答待ち, for the division to look again).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Callable, Mapping

from bot.conversations import ConversationStore
from bot.listwatch import ListWatch
from bot.notify import Notifier, deliver_card
from bot.outbox import Handler, Undeliverable
from bot.ownership import writes
from bot.proposals.watch import personal_reference
from bot.questions import CLOSED, QUESTIONS_LIST, WAITING
from bot.sent_cards import SentCard, new_card_id
from bot.state import BotState, Work
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Upsert

logger = logging.getLogger(__name__)

SEEN = "question-answer"  # state space: question id -> a digest of the answer last told
TELL, SETTLE = "answers.tell", "answers.settle"
SETTLEABLE = frozenset({"回答済み", "回答待ち", "クローズ"})  # what the asker's word may move on from

# Renders the answer card: (item, card id) -> card.
AnswerCard = Callable[[Item, str], Mapping[str, Any]]


def _digest(answer: str) -> str:
    return hashlib.sha256(answer.encode()).hexdigest()[:16]


class AnswerWatch(ListWatch):
    """Reads the Questions change feed; tells askers the answers people wrote."""

    list_name = QUESTIONS_LIST
    space = SEEN

    def __init__(self, store: ListStore, state: BotState, notifier: Notifier | None, card: AnswerCard,
                 clock: Clock = utc_now) -> None:
        super().__init__(store, state, clock)
        self._notifier, self._card = notifier, card

    def seen(self, item: Item) -> Any:
        answer = str(item.fields.get("Answer") or "").strip()
        return _digest(answer) if answer else None

    def telling(self, item: Item, before: Any, first_look: bool) -> list[Work]:
        digest = self.seen(item)
        if first_look or digest is None or not item.fields.get("AskedBy"):
            return []  # the first look, an answer taken back, or nobody to tell
        return [Work(f"answer:{item.key}:{digest}", TELL, {"question_id": item.key})]

    async def settle(self, card: SentCard, solved: bool) -> None:
        """The asker's word on the answer: クローズ, or back to 回答待ち (through the outbox)."""
        await self._state.commit(work=[Work(f"{card.question_id}:settle:{new_card_id()}", SETTLE, {
            "question_id": card.question_id, "status": CLOSED if solved else WAITING})],
            now=self._clock().timestamp())

    def handlers(self, conversations: ConversationStore) -> dict[str, Handler]:
        async def tell(_key: str, payload: Mapping[str, Any]) -> None:
            item = await self._store.get(QUESTIONS_LIST, str(payload["question_id"]))
            if item is None or not str(item.fields.get("Answer") or "").strip():
                raise Undeliverable("the answer is gone from the list")
            asker = str(item.fields["AskedBy"])
            reference = await personal_reference(conversations, asker)
            if reference is None:
                raise Undeliverable("the asker has never talked to the bot")
            card = SentCard(new_card_id(), "person_answer", asker, str(item.fields.get("QuestionText") or ""),
                            item.key, iso_seconds(self._clock()))
            await self._state.commit(cards=[card], now=self._clock().timestamp())
            await deliver_card(self._notifier, reference, self._card(item, card.card_id), "telling an answer")

        async def settle(_key: str, payload: Mapping[str, Any]) -> None:
            question_id = str(payload["question_id"])
            item = await self._store.get(QUESTIONS_LIST, question_id)
            if item is None or item.fields.get("Status") not in SETTLEABLE:
                return  # made an FAQ, or gone: the asker's word changes nothing now
            fields: dict[str, object] = {"Status": payload["status"]}
            if payload["status"] == WAITING:
                # Not solved: back to the queue, where the reminders see it again.
                fields.update(AssignedTo=None, AssignedAt=None)
            writes(QUESTIONS_LIST, fields, Owner.BOT)  # the asker's word, through the bot
            [result] = await self._store.upsert(QUESTIONS_LIST, [Upsert(question_id, fields, if_match=item.etag)])
            if not result.ok:
                raise RuntimeError(f"settling {question_id}: {result.outcome}")

        return {TELL: tell, SETTLE: settle}
