"""Sending to people outside a turn: the `Notifier` seam, its in-memory twin, and the pacing
and retry rules every implementation shares.

Teams' limits for a bot (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit):
per conversation 7 messages a second and 60 per 30 seconds; per app about 50 requests a
second across all conversations. Over them Teams answers 429. The Bot Connector implementation
(`bot/edge/notifier.py`) paces itself under those limits, retries 429, 412, 502 and 504 with
`Retry-After` (else backoff with jitter), and treats 403 and 404 as "the bot is gone from this
conversation" (uninstalled, or the person left): the conversation is forgotten and skipped.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Awaitable, Callable, Mapping, Protocol

from bot.conversations import ConversationReference
from cards import attachment

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

RETRYABLE = frozenset({412, 429, 502, 503, 504})
GONE = frozenset({403, 404})


class Outcome(str, Enum):
    """What became of one notification."""

    SENT = "sent"
    GONE = "gone"  # the bot can no longer write there; nothing to retry
    FAILED = "failed"  # retries ran out, or the service refused the activity


@dataclass(frozen=True, slots=True)
class Sent:
    """The outcome of one notification, with the activity id the service gave it."""

    outcome: Outcome
    conversation_id: str
    activity_id: str | None = None
    error: str | None = None


class Notifier(Protocol):
    """Writes to a conversation the bot is in, without being asked."""

    async def send(self, reference: ConversationReference, activity: Mapping[str, Any]) -> Sent:
        """Post `activity` into the reference's conversation; a personal chat is created when
        the reference has a user but no conversation yet (an empty conversation id)."""
        ...

    async def update(self, reference: ConversationReference, activity_id: str,
                     activity: Mapping[str, Any]) -> Sent:
        """Replace a message the bot posted (`activity_id`, in the reference's conversation) with
        `activity`, in place, for everyone who sees it. GONE when the message or the bot's place
        in the conversation is gone."""
        ...


@dataclass
class MemoryNotifier:
    """The in-memory twin: records what would have been sent; `gone` conversations refuse."""

    sent: list[tuple[ConversationReference, dict[str, Any]]] = field(default_factory=list)
    updated: list[tuple[ConversationReference, str, dict[str, Any]]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    async def send(self, reference: ConversationReference, activity: Mapping[str, Any]) -> Sent:
        conversation = reference.conversation_id or f"a:personal-{reference.user_id}"
        if conversation in self.gone:
            return Sent(Outcome.GONE, conversation)
        self.sent.append((reference, dict(activity)))
        return Sent(Outcome.SENT, conversation, f"memory-{len(self.sent)}")

    async def update(self, reference: ConversationReference, activity_id: str,
                     activity: Mapping[str, Any]) -> Sent:
        if reference.conversation_id in self.gone:
            return Sent(Outcome.GONE, reference.conversation_id)
        self.updated.append((reference, activity_id, dict(activity)))
        return Sent(Outcome.SENT, reference.conversation_id, activity_id)


class SlidingWindow:
    """At most `limit` events in any `window` seconds; `wait` says how long until the next."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        return 0.0 if len(self._times) < self.limit else self._times[0] + self.window - now

    def take(self, now: float) -> None:
        self._times.append(now)


class TeamsPacer:
    """Teams' limits, per conversation and per app, as waits before each request."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep, *,
                 per_second: int = 7, per_30_seconds: int = 60, app_per_second: int = 50) -> None:
        self._clock, self._sleep = clock, sleep
        self._limits = (per_second, per_30_seconds)
        self._conversations: dict[str, tuple[SlidingWindow, SlidingWindow]] = {}
        self._app = SlidingWindow(app_per_second, 1.0)
        self._lock = asyncio.Lock()

    async def acquire(self, conversation_id: str) -> None:
        """Return when one more request to `conversation_id` stays within every limit."""
        windows = self._conversations.setdefault(
            conversation_id, (SlidingWindow(self._limits[0], 1.0), SlidingWindow(self._limits[1], 30.0)))
        async with self._lock:  # one waiter at a time, so the windows are read and taken together
            while True:
                now = self._clock()
                wait = max(self._app.wait(now), *(w.wait(now) for w in windows))
                if wait <= 0:
                    break
                await self._sleep(wait)
            for window in (self._app, *windows):
                window.take(now)


@dataclass(frozen=True)
class RetryRule:
    """How often and how long to retry a throttled or briefly failing request."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """`Retry-After` when the service gave one (capped), else capped exponential backoff
        with full jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap)
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** attempt))


def card_activity(card: Mapping[str, Any]) -> dict[str, Any]:
    """A message that is one Adaptive Card."""
    return {"type": "message", "attachments": [attachment(card)]}


async def deliver_card(notifier: Notifier | None, reference: ConversationReference, card: Mapping[str, Any],
                       what: str) -> Sent:
    """`deliver` a card."""
    return await deliver(notifier, reference, card_activity(card), what)


async def deliver(notifier: Notifier | None, reference: ConversationReference, activity: Mapping[str, Any],
                  what: str) -> Sent:
    """Send `activity` as outbox work does: done when sent; `Undeliverable` when it never can be
    (no notifier, or the bot is gone from that conversation), so it is set aside; an error
    otherwise, so it is tried again later. `what` names the work in those errors."""
    from bot.outbox import Undeliverable

    if notifier is None:
        raise Undeliverable(f"{what}: no notifier")
    sent = await notifier.send(reference, activity)
    if sent.outcome is Outcome.GONE:
        raise Undeliverable(f"{what}: the bot is no longer in that conversation")
    if sent.outcome is not Outcome.SENT:
        raise RuntimeError(f"{what}: {sent.error}")
    return sent
