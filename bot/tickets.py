"""Questions sent to a person, handled from their card in the experts' channel.

Experts are the members of the Entra ID groups in DX_EXPERT_GROUP_IDS (bot/membership.py). They
take a question (担当する), answer it in the card (回答する: the answer reaches the asker through
the Questions list, bot/answers.py), close it, or hand it back to the queue (差し戻す), and make
an answered question an FAQ entry. The leaders a question was routed to (bot/routing.py) may
take, answer, close and hand back that question; making FAQ entries stays the experts'. Each step
writes the Questions list as the division (bot/ownership.py) under the eTag read, so two experts
clicking at once never overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.membership import GroupCheck
from bot.ownership import writes
from bot.questions import CLOSED, QUESTIONS_LIST, WAITING
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Outcome, Upsert

ANSWERED = "回答済み"
PROMOTED = "FAQ化"
ACTIONS = ("take", "answer", "close", "release", "promote", "publish")
FAQ_STEPS = ("promote", "publish")  # the experts' alone
MAX_ANSWER_CHARS = 4000
FAQ_LIST = "FAQ"
DRAFT_CATEGORY = "その他"  # a draft's category until the division chooses one


def allowed_steps(item: Item) -> list[str]:
    """The steps a question's status allows (what the card offers, and all the desk accepts)."""
    status = str(item.fields.get("Status") or "")
    if status in (CLOSED, PROMOTED):
        return []
    held = bool(item.fields.get("AssignedTo"))
    return ["answer", "close", "release" if held else "take"]


LeaderOf = Callable[[Item, str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Handled:
    """The question after a step (or as it was, with why nothing changed: a message key)."""

    item: Item | None
    refused: str | None = None


class TicketDesk:
    """Checks experts and writes their steps to the Questions list."""

    def __init__(self, store: ListStore, experts: GroupCheck, channel: str | None = None,
                 clock: Clock = utc_now, leader_of: LeaderOf | None = None) -> None:
        """`leader_of(question, user key)`: was the question routed to that leader?"""
        self.channel = channel
        self._store, self._experts, self._clock, self._leader_of = store, experts, clock, leader_of

    async def is_expert(self, user_id: str) -> bool:
        return await self._experts.includes(user_id)

    async def is_leader_of(self, item: Item, user_key: str) -> bool:
        return self._leader_of is not None and await self._leader_of(item, user_key)

    async def question(self, question_id: str) -> Item | None:
        return await self._store.get(QUESTIONS_LIST, question_id)

    async def act(self, question_id: str, action: str, expert_id: str, expert_name: str,
                  answer: str = "", user_key: str = "") -> Handled:
        """`expert_id`: the person's Entra object id (group checks); `user_key`: their key (leaders)."""
        item = await self._store.get(QUESTIONS_LIST, question_id)
        if not (await self.is_expert(expert_id) or
                (item is not None and action not in FAQ_STEPS and await self.is_leader_of(item, user_key))):
            return Handled(None, "ticket_not_expert")
        if item is None or action not in ACTIONS:
            return Handled(None, "card_expired")
        if action in FAQ_STEPS:
            return await self._faq_step(item, action)
        if action not in allowed_steps(item):
            # A card that was out of date: the step no longer fits (a person closed it, made it
            # an FAQ, or someone else took it). Nothing is overwritten; the card shows it now.
            return Handled(item, "ticket_changed")
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

    async def draft_of(self, item: Item) -> Item | None:
        """The FAQ entry a promoted question became, when it is still a draft (unpublished)."""
        faq_id = str(item.fields.get("FaqId") or "")
        if item.fields.get("Status") != PROMOTED or not faq_id:
            return None
        entry = await self._store.get(FAQ_LIST, faq_id)
        return entry if entry is not None and entry.fields.get("IsPublished") is False else None

    async def _faq_step(self, item: Item, action: str) -> Handled:
        """「FAQ にする」: a draft entry (unpublished) with the asker's wording and the answer;
        「公開する」: the draft published, answered by the bot from its next FAQ refresh."""
        if action == "publish":
            draft = await self.draft_of(item)
            if draft is None:
                return Handled(item, "ticket_no_draft")
            writes(FAQ_LIST, ["IsPublished"], Owner.DIVISION)
            [result] = await self._store.upsert(FAQ_LIST, [Upsert(draft.key, {"IsPublished": True})])
            if not result.ok:
                raise RuntimeError(f"publishing {draft.key}: {result.outcome}: {result.error}")
            return Handled(item)
        answer = str(item.fields.get("Answer") or "").strip()
        if item.fields.get("Status") == PROMOTED:
            return Handled(item, "ticket_changed")  # made an FAQ already (a double press)
        if not answer:
            return Handled(item, "ticket_answer_first")
        wording = str(item.fields.get("QuestionText") or "").strip()[:255]
        entry = {"Title": wording, "AlternateQuestions": wording, "Answer": answer, "Category": DRAFT_CATEGORY,
                 "IsPublished": False}
        writes(FAQ_LIST, entry, Owner.DIVISION)
        taken = [i.key async for page in self._store.pages(FAQ_LIST) for i in page]
        next_number = max((int(k[4:]) for k in taken if k.startswith("FAQ-") and k[4:].isdigit()), default=0) + 1
        for n in range(next_number, next_number + 50):
            [created] = await self._store.create(FAQ_LIST, [Upsert(f"FAQ-{n:04d}", entry)])
            if created.outcome is Outcome.CREATED:
                fields = {"FaqId": f"FAQ-{n:04d}", "Status": PROMOTED}
                writes(QUESTIONS_LIST, fields, Owner.DIVISION)
                [result] = await self._store.upsert(QUESTIONS_LIST, [Upsert(item.key, fields, if_match=item.etag)])
                if result.outcome is Outcome.CONFLICT:
                    # Someone else changed the question meanwhile (another press made it an FAQ):
                    # this draft is not needed.
                    await self._store.delete(FAQ_LIST, [f"FAQ-{n:04d}"])
                    return Handled(await self._store.get(QUESTIONS_LIST, item.key), "ticket_changed")
                if not result.ok:
                    raise RuntimeError(f"promoting {item.key}: {result.outcome}: {result.error}")
                return Handled(await self._store.get(QUESTIONS_LIST, item.key))
            if created.outcome is not Outcome.EXISTS:
                raise RuntimeError(f"drafting an FAQ entry: {created.outcome}: {created.error}")
        raise RuntimeError("no free FAQ number")
