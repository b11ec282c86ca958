"""What a handler sees of one turn: plain values and `send`, no Bot Framework types.

The edge (bot/edge/) builds a `Turn` from botbuilder's TurnContext; the terminal chat builds one
from a line of input. Handlers only ever see this, so moving to the Microsoft 365 Agents SDK
means rewriting the edge, not the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

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


@dataclass(slots=True)
class Turn:
    """One incoming activity, reduced to what the bot needs, with a way to reply."""

    activity: Mapping[str, Any]  # the raw activity JSON, for the rare handler that needs more
    text: str  # message text with @mentions of the bot removed, stripped
    locale: str | None
    conversation_id: str
    conversation_kind: str  # personal | groupChat | channel
    sender: Person
    correlation_id: str
    _send: Sender = field(repr=False, default=None)  # type: ignore[assignment]
    division: str | None = None  # the city's name for its DX division (DX_DIVISION_NAME)
    division_en: str | None = None

    @property
    def type(self) -> str:
        return str(self.activity.get("type", ""))

    @property
    def name(self) -> str | None:
        return self.activity.get("name")

    @property
    def value(self) -> Any:
        return self.activity.get("value")

    # Typed reads of the rest of the activity a handler may need. The edge has checked their
    # types (bot/edge/activity.py), so handlers never reach into the dict themselves.

    @property
    def activity_id(self) -> str | None:
        """The channel's id of this activity (what a reply points to)."""
        value = self.activity.get("id")
        return value if isinstance(value, str) else None

    @property
    def recipient_id(self) -> str | None:
        """The bot's own id in this channel."""
        recipient = self.activity.get("recipient")
        value = recipient.get("id") if isinstance(recipient, Mapping) else None
        return value if isinstance(value, str) else None

    @property
    def members_added(self) -> tuple[str, ...]:
        """Ids of the members a conversationUpdate says joined (the bot's own among them)."""
        members = self.activity.get("membersAdded") or []
        return tuple(m["id"] for m in members if isinstance(m, Mapping) and isinstance(m.get("id"), str))

    @property
    def action(self) -> str | None:
        """An installationUpdate's action: add, remove, add-upgrade …"""
        value = self.activity.get("action")
        return value if isinstance(value, str) else None

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
