"""Questions sent to a person, handled from their card in the experts' channel.

Experts are the members of the Entra ID groups in DX_EXPERT_GROUP_IDS (bot/membership.py). They
take a question (担当する), answer it in the card (回答する: the answer reaches the asker through
the Questions list, bot/answers.py), close it, or hand it back to the queue (差し戻す). Each step
writes the Questions list as the division (bot/ownership.py) under the eTag read, so two experts
clicking at once never overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.membership import GroupCheck
from bot.ownership import writes
from bot.questions import CLOSED, QUESTIONS_LIST, WAITING
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Outcome, Upsert

ANSWERED = "回答済み"
ACTIONS = ("take", "answer", "close", "release")
MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Handled:
    """The question after a step (or as it was, with why nothing changed: a message key)."""

    item: Item | None
    refused: str | None = None


class TicketDesk:
    """Checks experts and writes their steps to the Questions list."""

    def __init__(self, store: ListStore, experts: GroupCheck, channel: str | None = None,
                 clock: Clock = utc_now) -> None:
        self.channel = channel
        self._store, self._experts, self._clock = store, experts, clock

    async def is_expert(self, user_id: str) -> bool:
        return await self._experts.includes(user_id)

    async def question(self, question_id: str) -> Item | None:
        return await self._store.get(QUESTIONS_LIST, question_id)

    async def act(self, question_id: str, action: str, expert_id: str, expert_name: str,
                  answer: str = "") -> Handled:
        if not await self.is_expert(expert_id):
            return Handled(None, "ticket_not_expert")
        item = await self._store.get(QUESTIONS_LIST, question_id)
        if item is None or action not in ACTIONS:
            return Handled(None, "card_expired")
        now = iso_seconds(self._clock())
        fields: dict[str, object]
        if action == "take":
            fields = {"AssignedTo": expert_name, "AssignedAt": now}
        elif action == "answer":
            text = answer.strip()
            if not text:
                return Handled(item, "ticket_answer_needed")
            fields = {"Answer": text[:MAX_ANSWER_CHARS], "AnsweredBy": expert_name, "AnsweredAt": now,
                      "Status": ANSWERED}
            if not item.fields.get("AssignedTo"):
                fields.update(AssignedTo=expert_name, AssignedAt=now)
        elif action == "close":
            fields = {"Status": CLOSED}
        else:  # release: back to the queue, for someone else to take
            fields = {"AssignedTo": None, "AssignedAt": None, "Status": WAITING}
        writes(QUESTIONS_LIST, fields, Owner.DIVISION)  # the card acts for the division
        [result] = await self._store.upsert(QUESTIONS_LIST, [Upsert(question_id, fields, if_match=item.etag)])
        if result.outcome is Outcome.CONFLICT:
            return Handled(await self._store.get(QUESTIONS_LIST, question_id), "ticket_changed")
        if not result.ok:
            raise RuntimeError(f"{action} on {question_id}: {result.outcome}: {result.error}")
        return Handled(await self._store.get(QUESTIONS_LIST, question_id))
