"""Questions sent to a person do not wait forever.

A question nobody has taken after DX_EXPERT_REMIND_HOURS is posted to the experts' channel
again, once. An answered question the asker has not settled (「解決した」 / 「まだ解決しない」) is
closed after DX_EXPERT_CLOSE_DAYS, and the asker is told so, once. Each sweep reads the
Questions list by status; what it decides is enqueued with keys that make it happen once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from bot.conversations import ConversationStore
from bot.notify import Notifier, deliver, deliver_card
from bot.outbox import Handler, Undeliverable
from bot.ownership import writes
from bot.proposals.watch import personal_reference
from bot.questions import CLOSED, QUESTIONS_LIST, WAITING
from bot.state import BotState, Work
from bot.tickets import ANSWERED
from config.clock import Clock, utc_now
from config.schema import Owner
from liststore import Item, ListStore, StoreError, Upsert

logger = logging.getLogger(__name__)

REPOST, CLOSE, NOTE = "questions.repost", "questions.close", "questions.closed-note"

# Renders the ticket posted again (item -> card) and the note to the asker (question id, days -> text).
RepostCard = Callable[[Item], Mapping[str, Any]]
ClosedNote = Callable[[str, int], str]


def _at(moment: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None


class TicketSweep:
    """Reposts questions nobody took, and closes answered ones nobody settled."""

    def __init__(self, store: ListStore, state: BotState, notifier: Notifier | None, channel: str | None,
                 repost_card: RepostCard, closed_note: ClosedNote, *, remind_after: timedelta,
                 close_after: timedelta, clock: Clock = utc_now) -> None:
        self._store, self._state, self._notifier, self._channel = store, state, notifier, channel
        self._repost_card, self._closed_note = repost_card, closed_note
        self._remind_after, self._close_after, self._clock = remind_after, close_after, clock

    async def run_once(self) -> int:
        """One sweep; how many reposts and closings it enqueued."""
        now = self._clock()
        work: list[Work] = []
        if self._channel:
            for item in await self._store.query(QUESTIONS_LIST, "Status", WAITING):
                asked = _at(item.fields.get("AskedAt"))
                if not item.fields.get("AssignedTo") and asked and now - asked >= self._remind_after:
                    # Once per round: a question reopened after an answer is reminded of again.
                    work.append(Work(f"{item.key}:repost:{item.fields.get('AnsweredAt') or ''}", REPOST,
                                     {"question_id": item.key}))
        for item in await self._store.query(QUESTIONS_LIST, "Status", ANSWERED):
            answered = _at(item.fields.get("AnsweredAt"))
            if answered and now - answered >= self._close_after:
                work.append(Work(f"{item.key}:close:{item.fields.get('AnsweredAt')}", CLOSE,
                                 {"question_id": item.key, "days": (now - answered).days}))
        added = await self._state.commit(work=work, now=now.timestamp()) if work else []
        return sum(added)

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except StoreError:
                logger.warning("questions: the list cannot be read for reminders now; trying again later")
            except Exception:  # noqa: BLE001 - a failed sweep is tried again; the loop must go on
                logger.exception("questions: the reminder sweep failed")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                pass

    def handlers(self, conversations: ConversationStore) -> dict[str, Handler]:
        async def repost(_key: str, payload: Mapping[str, Any]) -> None:
            item = await self._store.get(QUESTIONS_LIST, str(payload["question_id"]))
            if item is None or item.fields.get("Status") != WAITING or item.fields.get("AssignedTo"):
                return  # taken or settled meanwhile: nothing to remind of
            asker = await personal_reference(conversations, str(item.fields.get("AskedBy") or ""))
            if asker is None or not self._channel:
                raise Undeliverable("no way to reach the experts' channel")
            await deliver_card(self._notifier, asker.in_channel(self._channel), self._repost_card(item),
                               "posting a question again")

        async def close(_key: str, payload: Mapping[str, Any]) -> None:
            question_id = str(payload["question_id"])
            item = await self._store.get(QUESTIONS_LIST, question_id)
            if item is None or item.fields.get("Status") != ANSWERED:
                return  # settled meanwhile
            writes(QUESTIONS_LIST, ["Status"], Owner.BOT)
            [result] = await self._store.upsert(QUESTIONS_LIST, [Upsert(question_id, {"Status": CLOSED},
                                                                        if_match=item.etag)])
            if not result.ok:
                raise RuntimeError(f"closing {question_id}: {result.outcome}")
            await self._state.commit(work=[Work(f"{question_id}:closed-note", NOTE, {
                "question_id": question_id, "days": payload["days"], "to": item.fields.get("AskedBy")})],
                now=self._clock().timestamp())

        async def note(_key: str, payload: Mapping[str, Any]) -> None:
            asker = await personal_reference(conversations, str(payload.get("to") or ""))
            if asker is None:
                raise Undeliverable("the asker cannot be reached")
            text = self._closed_note(str(payload["question_id"]), int(payload["days"]))
            await deliver(self._notifier, asker, {"type": "message", "text": text}, "telling the asker it was closed")

        return {REPOST: repost, CLOSE: close, NOTE: note}
