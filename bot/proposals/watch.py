"""The proposer hears of every change of their proposal's status, once.

Status changes from anywhere (a reviewer in the list, a Power App, the list UI) reach the bot
through the Proposals list's change feed. The proposer is told, and every co-proposer the bot
knows (named by e-mail on the form, and who has talked to the bot). The watcher keeps the status it last saw of each
proposal and its cursor in the bot state; each round reads the feed since the cursor and, in
one transaction, moves the cursor, records the statuses seen and enqueues one notification per
change (keyed by the proposal and the item's version), which the outbox worker delivers to the
proposer's personal chat. A round that dies before its commit is read again from the old
cursor; one that committed is never read twice: a change is told once. Changes made in the list
faster than one round are told as where they ended; a reviewer's click on the bot's own card
is told at once (`changed`), step by step.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from bot.conversations import ConversationReference, ConversationStore
from bot.listwatch import ListWatch
from bot.notify import Notifier, deliver_card
from bot.outbox import Handler, Undeliverable
from bot.proposals.desk import RECEIVED
from bot.proposals.similar import PROPOSALS_LIST
from bot.state import BotState, Work
from config.clock import Clock, utc_now
from liststore import Item, ListStore

logger = logging.getLogger(__name__)

SEEN = "proposal-status"  # state space: proposal number -> the status last seen
NOTIFY = "proposals.status"

# Renders the card that tells a proposer of a change: payload -> card.
StatusCard = Callable[[Mapping[str, Any]], Mapping[str, Any]]


class StatusWatch(ListWatch):
    """Reads the Proposals change feed; tells proposers of status changes through the outbox."""

    list_name = PROPOSALS_LIST
    space = SEEN

    def __init__(self, store: ListStore, state: BotState, notifier: Notifier | None, card: StatusCard,
                 clock: Clock = utc_now) -> None:
        super().__init__(store, state, clock)
        self._notifier, self._card = notifier, card

    def seen(self, item: Item) -> Any:
        return str(item.fields.get("Status") or "")

    def telling(self, item: Item, before: Any, first_look: bool) -> list[Work]:
        if first_look or (before is None and self.seen(item) == RECEIVED):
            return []  # what was there before the bot watched, or a proposal just filed
        return _telling(item, before)

    async def changed(self, item: Item, before: str) -> None:
        """A status the bot itself just wrote (a reviewer's click): told at once, and marked seen
        so the feed does not tell it again. Its work key is the one the feed would use, so if
        the feed got there first, it is still told once."""
        await self._state.commit(values={(SEEN, item.key): self.seen(item)}, work=_telling(item, before),
                                 now=self._clock().timestamp())

    def handlers(self, conversations: ConversationStore) -> dict[str, Handler]:
        async def notify(_key: str, payload: Mapping[str, Any]) -> None:
            reference = await personal_reference(conversations, str(payload["to"]))
            if reference is None:
                raise Undeliverable("the person has never talked to the bot")
            await deliver_card(self._notifier, reference, self._card(payload), "telling of a status change")

        return {NOTIFY: notify}


def _telling(item: Item, before: str | None) -> list[Work]:
    """The notifications of `item`'s status: to the proposer and to each co-proposer the bot
    knows, keyed by the item's version and the person."""
    people = [str(item.fields.get("ProposerId") or "")]
    people += [p.strip() for p in str(item.fields.get("CoProposerIds") or "").split(",")]
    change = {"number": item.key, "title": str(item.fields.get("Title") or ""),
              "status": str(item.fields.get("Status") or ""), "before": before,
              "comment": str(item.fields.get("ReviewComment") or "")}
    return [Work(f"status:{item.key}:{item.etag}:{person}", NOTIFY, {**change, "to": person})
            for person in dict.fromkeys(people) if person]


async def personal_reference(conversations: ConversationStore, user_key: str) -> ConversationReference | None:
    """Where to write to someone: their personal chat with the bot, or (when they only ever
    spoke in a channel) a new personal chat opened through what a channel reference knows."""
    references = await conversations.of_user(user_key)
    personal = [r for r in references if r.conversation_kind == "personal"]
    if personal:
        return personal[0]
    if references:
        r = references[0]
        return ConversationReference(r.user_key, "", r.service_url, r.channel_id, r.bot_id, r.user_id,
                                     "personal", r.tenant_id)
    return None
