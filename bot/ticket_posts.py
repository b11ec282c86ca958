"""Where a question's ticket card goes, and every copy kept showing the question as it is now.

A question sent to a person is posted to the experts' channel; with routing by roster it goes
first to the DX leaders of the asker's own section, in their personal chats, and to the channel
only when none of them has taken it after DX_EXPERT_LEADER_HOURS (the sweep in
bot/reminders.py decides that). Each post is an outbox item of its own, keyed by the question and
where it goes, so a retry never posts twice to the same place.

Every post's conversation and activity id are remembered (bot state, space `ticket-posts`).
When the question changes (a step in a card, an answer in the list, the asker's word), every
copy is replaced in place with the Bot Connector's update activity, so a person who opens the
channel or their chat later sees who holds the question and whether it is answered, not the
card as it was first posted. The update reads the question when it is delivered, so updates
delivered in any order all leave the latest state.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Literal, Mapping

from bot.conversations import ConversationReference, ConversationStore
from bot.listwatch import ListWatch
from bot.notify import Notifier, Outcome, card_activity, deliver_card
from bot.outbox import Handler, Undeliverable
from bot.proposals.watch import personal_reference
from bot.questions import QUESTIONS_LIST, WAITING, NotYetRecorded
from bot.roster import still_serves
from bot.routing import LeaderRouting
from bot.state import BotState, Work
from config.clock import Clock, iso_seconds, utc_now
from liststore import Item, ListStore

logger = logging.getLogger(__name__)

POSTS = "ticket-posts"  # bot state space: question id -> its Route
POST, UPDATE = "questions.post", "questions.ticket-update"
LEGACY_REPOST = "questions.repost"  # a repost enqueued before copies were remembered: a post "again"

# Which copy of the ticket: in the channel, in the channel again (nobody took it), or to a leader.
Copy = Literal["channel", "again", "leader"]
# Renders a ticket (item, which copy) -> card.
TicketCard = Callable[[Item, Copy], Mapping[str, Any]]

# The columns a ticket card shows: a change to any of them is shown on every copy.
SHOWN = ("Status", "AssignedTo", "AssignedAt", "Answer", "AnsweredBy", "FaqId")


@dataclass(frozen=True, slots=True)
class Post:
    """One copy of a ticket: the conversation it is in and the message to update."""

    copy: Copy
    reference: ConversationReference
    activity_id: str
    at: str


@dataclass(frozen=True, slots=True)
class Route:
    """Where a question's ticket went: the leaders asked first (key -> staff number), the
    leaders who could not be reached, the asker's conversation (the way to the channel later)
    and every copy posted."""

    leaders: Mapping[str, str] = field(default_factory=dict)
    routed_at: str | None = None
    via: ConversationReference | None = None
    unreachable: tuple[str, ...] = ()
    posts: tuple[Post, ...] = ()

    @property
    def channel_at(self) -> str | None:
        """When the ticket first reached the channel (None: not yet)."""
        return next((p.at for p in self.posts if p.copy != "leader"), None)

    def as_value(self) -> dict[str, Any]:
        return {"leaders": dict(self.leaders), "routed_at": self.routed_at,
                "via": asdict(self.via) if self.via else None, "unreachable": list(self.unreachable),
                "posts": [{**asdict(p), "reference": asdict(p.reference)} for p in self.posts]}

    @classmethod
    def of(cls, value: Any) -> "Route":
        if not isinstance(value, Mapping):
            return cls()
        posts = tuple(Post(p["copy"], ConversationReference(**p["reference"]), p["activity_id"], p["at"])
                      for p in value.get("posts") or ())
        via = ConversationReference(**value["via"]) if value.get("via") else None
        return cls(dict(value.get("leaders") or {}), value.get("routed_at"), via,
                   tuple(value.get("unreachable") or ()), posts)


def shown(item: Item) -> str:
    """A digest of what a ticket card shows of the question."""
    return hashlib.sha256(repr([item.fields.get(c) for c in SHOWN]).encode()).hexdigest()[:16]


def update_work(item: Item) -> Work:
    """Every copy of the ticket brought up to date. Keyed by the item's version: the card's own
    step and the list watch seeing that step make one update, and a question that comes back
    to a state it had before (taken, handed back, taken again) is updated every time."""
    version = hashlib.sha256(item.etag.encode()).hexdigest()[:12]
    return Work(f"{item.key}:shown:{shown(item)}:{version}", UPDATE, {"question_id": item.key})


class TicketPosts:
    """Posts tickets where they go, remembers each copy, and updates them all."""

    def __init__(self, store: ListStore, state: BotState, notifier: Notifier | None, card: TicketCard,
                 channel: str | None, routing: LeaderRouting | None = None, clock: Clock = utc_now) -> None:
        """`routing`: the leaders of the asker's section first (None: the channel at once)."""
        self._store, self._state, self._notifier, self._card = store, state, notifier, card
        self.channel, self.routing, self._clock = channel, routing, clock

    async def route(self, question_id: str) -> Route:
        return Route.of(await self._state.value(POSTS, question_id))

    async def _keep(self, question_id: str, route: Route) -> None:
        await self._state.commit(values={(POSTS, question_id): route.as_value()}, now=self._clock().timestamp())

    async def is_leader_of(self, item: Item, user_key: str) -> bool:
        """Was the question routed to this person, who still serves the asker's section as a
        leader? (One who moved or stepped down since has no say in it.)"""
        number = (await self.route(item.key)).leaders.get(user_key) if user_key else None
        f = item.fields
        return bool(number and f.get("Section") and f.get("Bureau")) and \
            await still_serves(self._store, str(number), str(f["Section"]), str(f["Bureau"]))

    async def changed(self, item: Item) -> None:
        """A question changed (`item` as it is now): every copy of its ticket shows it soon."""
        await self._state.commit(work=[update_work(item)], now=self._clock().timestamp())

    async def first_posts(self, item: Item, asker: ConversationReference, section: str | None,
                          bureau: str | None) -> None:
        """Where a question just sent to a person goes first: its section's leaders, or the channel."""
        before = await self.route(item.key)
        if before.leaders or before.posts:
            return  # posted before (this is a retry): never routed anew
        leaders = await self.routing.leaders(section, bureau, asker.user_key) if self.routing else []
        if leaders:
            route = Route({leader.key: leader.staff_number for leader in leaders}, iso_seconds(self._clock()), asker)
            work = [Work(f"{item.key}:post:leader:{leader.key}", POST, {"question_id": item.key, "copy": "leader",
                                                                        "to": leader.key}) for leader in leaders]
            logger.info("question %s: sent to %d leader(s) of the asker's section first", item.key, len(leaders))
            await self._state.commit(values={(POSTS, item.key): route.as_value()}, work=work,
                                     now=self._clock().timestamp())
        elif self.channel:
            await self._state.commit(work=[self.channel_work(item.key, "channel", asker)],
                                     now=self._clock().timestamp())

    def channel_work(self, question_id: str, copy: Copy, via: ConversationReference | None = None,
                     key: str | None = None) -> Work:
        """A post to the experts' channel (`via`: a reference on the same service; else the asker's)."""
        payload: dict[str, Any] = {"question_id": question_id, "copy": copy}
        if via is not None:
            payload["via"] = asdict(via)
        return Work(key or f"{question_id}:post:{copy}", POST, payload)

    def handlers(self, conversations: ConversationStore) -> dict[str, Handler]:
        async def post(_key: str, payload: Mapping[str, Any]) -> None:
            question_id, copy = str(payload["question_id"]), payload.get("copy", "again")
            item = await self._store.get(QUESTIONS_LIST, question_id)
            if item is None:
                raise NotYetRecorded(question_id)
            if item.fields.get("Status") != WAITING or item.fields.get("AssignedTo"):
                return  # taken or settled meanwhile: nobody needs asking (again)
            if copy == "leader":
                reference = await personal_reference(conversations, str(payload["to"]))
            else:
                via = (ConversationReference(**payload["via"]) if payload.get("via") else
                       await personal_reference(conversations, str(item.fields.get("AskedBy") or "")))
                reference = via.in_channel(self.channel) if via is not None and self.channel else None
            try:
                if reference is None:
                    raise Undeliverable(f"no way to reach the {copy} for {question_id}")
                sent = await deliver_card(self._notifier, reference, self._card(item, copy),
                                          f"posting {question_id}")
            except Undeliverable:
                if copy == "leader":
                    await self._unreachable(question_id, str(payload["to"]))
                    return
                raise
            posted_in = replace(reference, conversation_id=sent.conversation_id)
            route = await self.route(question_id)
            await self._keep(question_id, replace(route, posts=(
                *route.posts, Post(copy, posted_in, sent.activity_id or "", iso_seconds(self._clock())))))

        async def update(_key: str, payload: Mapping[str, Any]) -> None:
            question_id = str(payload["question_id"])
            route = await self.route(question_id)
            item = await self._store.get(QUESTIONS_LIST, question_id) if route.posts else None
            if item is None:
                return  # never posted (or gone from the list): nothing to update
            if self._notifier is None:
                raise Undeliverable("no notifier")
            failed = []
            for p in (p for p in route.posts if p.activity_id):  # one without an id cannot be updated
                sent = await self._notifier.update(p.reference, p.activity_id, card_activity(self._card(item, p.copy)))
                if sent.outcome is Outcome.FAILED:
                    failed.append(sent.error)
                # GONE: that copy was deleted, or the bot left the chat; the others are updated.
            if failed:  # every copy is tried; updating one again is harmless
                raise RuntimeError(f"updating the ticket of {question_id}: {failed}")

        return {POST: post, UPDATE: update, LEGACY_REPOST: post}

    async def _unreachable(self, question_id: str, leader: str) -> None:
        """A leader the bot could not write to after all: when none of them can be reached,
        the channel gets the question now rather than after the leaders' time."""
        route = await self.route(question_id)
        route = replace(route, unreachable=tuple(sorted({*route.unreachable, leader})))
        work = [self.channel_work(question_id, "channel", route.via)] if (
            self.channel and set(route.leaders) <= set(route.unreachable)) else []
        await self._state.commit(values={(POSTS, question_id): route.as_value()}, work=work,
                                 now=self._clock().timestamp())


class TicketWatch(ListWatch):
    """Reads the Questions change feed; a change to what a ticket shows updates its copies
    (however it was made: in a card, in the list, by the asker's word, by the sweep)."""

    list_name = QUESTIONS_LIST
    space = "question-shown"

    def seen(self, item: Item) -> Any:
        return shown(item) if item.fields.get("AskerName") or item.fields.get("AssignedTo") else None

    def telling(self, item: Item, before: Any, first_look: bool) -> list[Work]:
        return [] if first_look or self.seen(item) is None else [update_work(item)]

