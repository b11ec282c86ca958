"""Questions sent to a person do not wait forever.

A question routed to the leaders of the asker's section that none of them has taken after
DX_EXPERT_LEADER_HOURS goes to the experts' channel. A question nobody has taken
DX_EXPERT_REMIND_HOURS after it reached the channel is posted there again, once. An answered
question the asker has not settled (「解決した」 / 「まだ解決しない」) is closed after
DX_EXPERT_CLOSE_DAYS, and the asker is told so, once. Each sweep reads the
Questions list by status; what it decides is enqueued with keys that make it happen once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from bot.conversations import ConversationStore
from bot.notify import Notifier, deliver
from bot.outbox import Handler, Undeliverable
from bot.ownership import writes
from bot.periodic import every
from bot.proposals.watch import personal_reference
from bot.questions import CLOSED, QUESTIONS_LIST, WAITING
from bot.state import BotState, Work
from bot.ticket_posts import TicketPosts
from bot.tickets import ANSWERED
from config.clock import Clock, utc_now
from config.schema import Owner
from liststore import ListStore, Upsert

logger = logging.getLogger(__name__)

CLOSE, NOTE = "questions.close", "questions.closed-note"

# Renders the note to the asker (question id, days -> text).
ClosedNote = Callable[[str, int], str]


def _at(moment: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None


class TicketSweep:
    """Hands questions the leaders did not take to the channel, reposts questions nobody took,
    and closes answered ones nobody settled."""

    def __init__(self, store: ListStore, state: BotState, notifier: Notifier | None, posts: TicketPosts,
                 closed_note: ClosedNote, *, leader_wait: timedelta, remind_after: timedelta,
                 close_after: timedelta, clock: Clock = utc_now) -> None:
        self._store, self._state, self._notifier, self._posts = store, state, notifier, posts
        self._closed_note = closed_note
        self._leader_wait, self._remind_after, self._close_after = leader_wait, remind_after, close_after
        self._clock = clock

    async def run_once(self) -> int:
        """One sweep; how many posts and closings it enqueued."""
        now = self._clock()
        work: list[Work] = []
        if self._posts.channel:
            for item in await self._store.query(QUESTIONS_LIST, "Status", WAITING):
                if item.fields.get("AssignedTo"):
                    continue
                route = await self._posts.route(item.key)
                if route.leaders and route.channel_at is None:
                    routed = _at(route.routed_at)
                    if routed and now - routed >= self._leader_wait:  # none of the leaders took it
                        work.append(self._posts.channel_work(item.key, "channel", route.via))
                    continue
                reached = _at(route.channel_at or item.fields.get("AskedAt"))
                if reached and now - reached >= self._remind_after:
                    # Once per round: a question reopened after an answer is reminded of again.
                    round_key = f"{item.key}:repost:{item.fields.get('AnsweredAt') or ''}"
                    work.append(self._posts.channel_work(item.key, "again", route.via, key=round_key))
        for item in await self._store.query(QUESTIONS_LIST, "Status", ANSWERED):
            answered = _at(item.fields.get("AnsweredAt"))
            if answered and now - answered >= self._close_after:
                work.append(Work(f"{item.key}:close:{item.fields.get('AnsweredAt')}", CLOSE,
                                 {"question_id": item.key, "days": (now - answered).days}))
        added = await self._state.commit(work=work, now=now.timestamp()) if work else []
        return sum(added)

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        await every(interval, stop, self.run_once, "the questions' reminder sweep")

    def handlers(self, conversations: ConversationStore) -> dict[str, Handler]:
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

        return {CLOSE: close, NOTE: note}
