"""What a handler sees of one turn: plain values and `send`, no Bot Framework types.

The edge (bot/edge/) builds a `Turn` from the activity it validated and botbuilder's
TurnContext; the terminal chat builds one from a line of input. Handlers only ever see this,
so moving to the Microsoft 365 Agents SDK means rewriting the edge, not the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from bot.activity import InboundActivity
from bot.messages import texts
from cards import attachment

Sender = Callable[[dict[str, Any]], Awaitable[None]]


class ReplyFailed(Exception):
    """A reply could not be delivered to the channel (its address refused, timed out, or kept
    failing after the edge's bounded retries); there is nobody to tell."""


@dataclass(frozen=True, slots=True)
class Person:
    """Who sent the activity (ids as the channel gives them; the Entra object id when known)."""

    id: str
    name: str | None = None
    aad_object_id: str | None = None

    @property
    def key(self) -> str:
        """How the bot's records name this person: the Entra object id when Teams gives it."""
        return self.aad_object_id or self.id


@dataclass(slots=True)
class Turn:
    """One incoming activity, validated (bot/activity.py), with a way to reply."""

    activity: InboundActivity
    text: str  # message text with @mentions of the bot removed, whitespace folded
    correlation_id: str
    _send: Sender = field(repr=False, default=None)  # type: ignore[assignment]
    division: str | None = None  # the city's name for its DX division (DX_DIVISION_NAME)
    division_en: str | None = None
    # False when nobody can write to this conversation later (the terminal chat): its
    # reference is not remembered for proactive messages.
    reachable: bool = True

    @property
    def type(self) -> str:
        return self.activity.type

    @property
    def name(self) -> str | None:
        """An invoke's name (adaptiveCard/action …)."""
        return self.activity.name

    @property
    def value(self) -> Any:
        """What a card action or invoke carries."""
        return self.activity.value

    @property
    def locale(self) -> str | None:
        return self.activity.locale

    @property
    def conversation_id(self) -> str:
        return self.activity.conversation.id

    @property
    def conversation_kind(self) -> str:
        """personal | groupChat | channel"""
        return self.activity.conversation.conversation_type or "personal"

    @property
    def sender(self) -> Person:
        who = self.activity.sender
        return Person(who.id, who.name, who.aad_object_id)

    @property
    def activity_id(self) -> str | None:
        """The channel's id of this activity (what a reply points to)."""
        return self.activity.id

    @property
    def recipient_id(self) -> str | None:
        """The bot's own id in this channel."""
        return self.activity.recipient.id if self.activity.recipient else None

    def is_in(self, channel_id: str | None) -> bool:
        """Whether this turn happens in that channel (any thread of it)."""
        return bool(channel_id) and self.conversation_id.split(";")[0] == channel_id

    @property
    def tenant_id(self) -> str | None:
        data = self.activity.channel_data
        return (data.tenant.id if data and data.tenant else None) or self.activity.conversation.tenant_id

    @property
    def members_added(self) -> tuple[str, ...]:
        """Ids of the members a conversationUpdate says joined (the bot's own among them)."""
        return tuple(m.id for m in self.activity.members_added or ())

    @property
    def action(self) -> str | None:
        """An installationUpdate's action: add, remove, add-upgrade …"""
        return self.activity.action

    @property
    def t(self) -> Mapping[str, str]:
        """Messages in the language of this turn."""
        return texts(self.locale, self.division, self.division_en)

    async def send_text(self, text: str) -> None:
        """Reply with plain text."""
        await self._send({"type": "message", "text": text, "locale": self.locale or "ja-JP"})

    async def send_card(self, card: Mapping[str, Any], summary: str | None = None) -> None:
        """Reply with an Adaptive Card (summary: what notifications show)."""
        activity: dict[str, Any] = {"type": "message", "attachments": [attachment(card)],
                                    "locale": self.locale or "ja-JP"}
        if summary:
            activity["summary"] = summary
        await self._send(activity)


@dataclass(frozen=True, slots=True)
class CardReply:
    """What a card action answers: a card that replaces the clicked one, and/or a message."""

    card: Mapping[str, Any] | None = None
    text: str | None = None
