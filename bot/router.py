"""Decorator routing in the style of the Microsoft 365 Agents SDK's AgentApplication.

`message(text | regex)`, `card_action(verb)`, `conversation_update(kind)`, `activity(type)` and
`error`: first match wins, card actions (invokes) are tried first, and text matches are exact
or `re.fullmatch`, never substring (a Japanese keyword inside a question would misfire). The
catch-all is registered with `message(None)` and always ranks last.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from bot.text_input import normalise_command
from bot.turn import CardReply, Turn
from cards import CONTENT_TYPE as CARD_CONTENT_TYPE

logger = logging.getLogger(__name__)

Handler = Callable[[Turn], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)

INVOKE_CARD_ACTION = "adaptiveCard/action"


class BadCardData(ValueError):
    """A card action's data did not validate: the client sent something we never rendered."""


class Refused(Exception):
    """A card action this person may not take; they are told why (`message`: a key of
    bot/messages.py), in the answer to their click."""

    message = "error"

    def __init__(self, *args: object, message: str | None = None) -> None:
        super().__init__(*args)
        if message is not None:
            self.message = message


@dataclass(frozen=True, slots=True)
class InvokeResult:
    """The HTTP answer to an invoke activity."""

    status: int
    body: Mapping[str, Any] | None

    # The AdaptiveCardInvokeResponse shapes (statusCode, type, value) Teams reads:
    # https://learn.microsoft.com/javascript/api/botframework-schema/adaptivecardinvokeresponse
    @classmethod
    def message(cls, text: str) -> "InvokeResult":
        """Teams shows `text` briefly above the card."""
        return cls(200, {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text})

    @classmethod
    def card(cls, card: Mapping[str, Any]) -> "InvokeResult":
        """Teams replaces the clicked card with `card`."""
        return cls(200, {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card})


@dataclass(frozen=True, slots=True)
class _CardRoute:
    verb: str
    model: type[BaseModel]
    handler: Callable[[Turn, Any], Awaitable[CardReply]]


class Router:
    """Routes for one bot; build it once in the composition root."""

    def __init__(self) -> None:
        self._cards: dict[str, _CardRoute] = {}
        self._texts: dict[str, Handler] = {}
        self._patterns: list[tuple[re.Pattern[str], Handler]] = []
        self._updates: dict[str, Handler] = {}
        self._activities: dict[str, Handler] = {}
        self._fallback: Handler | None = None
        self._error: Callable[[Turn, Exception], Awaitable[None]] | None = None

    # -- registration -------------------------------------------------------------------------

    def message(self, select: str | re.Pattern[str] | None) -> Callable[[Handler], Handler]:
        """Exact text (after width folding), a pattern that must fullmatch, or None: the catch-all."""
        def register(handler: Handler) -> Handler:
            if select is None:
                self._fallback = handler
            elif isinstance(select, re.Pattern):
                self._patterns.append((select, handler))
            else:
                self._texts[normalise_command(select)] = handler
            return handler
        return register

    def card_action(self, verb: str, model: type[M]) -> Callable[[Callable[[Turn, M], Awaitable[CardReply]]], Any]:
        """An Adaptive Card action (Action.Execute invoke, or Action.Submit data) with this verb."""
        def register(handler: Callable[[Turn, M], Awaitable[CardReply]]) -> Any:
            self._cards[verb] = _CardRoute(verb, model, handler)
            return handler
        return register

    def conversation_update(self, kind: str) -> Callable[[Handler], Handler]:
        """`membersAdded` and friends; `installationUpdate` activities count as `installed`."""
        def register(handler: Handler) -> Handler:
            self._updates[kind] = handler
            return handler
        return register

    def activity(self, activity_type: str) -> Callable[[Handler], Handler]:
        """Any other activity type."""
        def register(handler: Handler) -> Handler:
            self._activities[activity_type] = handler
            return handler
        return register

    def error(
        self, handler: Callable[[Turn, Exception], Awaitable[None]]
    ) -> Callable[[Turn, Exception], Awaitable[None]]:
        """Called with the exception when a handler fails."""
        self._error = handler
        return handler

    # -- dispatch -----------------------------------------------------------------------------

    async def dispatch(self, turn: Turn) -> InvokeResult | None:
        """Run the first matching route; an invoke gets its HTTP answer back."""
        try:
            return await self._dispatch(turn)
        except BadCardData:
            raise
        except Exception as exc:  # noqa: BLE001 - the error route decides what the user sees
            if self._error is None:
                raise
            await self._error(turn, exc)
            if turn.type == "invoke":
                return InvokeResult.message(turn.t["error"].format(correlation_id=turn.correlation_id))
            return None

    async def _dispatch(self, turn: Turn) -> InvokeResult | None:
        if turn.type == "invoke":
            if turn.name == INVOKE_CARD_ACTION:
                action = (turn.value or {}).get("action") or {}
                return await self._card(turn, action.get("verb"), action.get("data") or {}, invoke=True)
            return InvokeResult(501, None)  # not an invoke we serve; Teams shows its own error
        if turn.type == "message":
            if isinstance(turn.value, Mapping) and turn.value.get("verb") and not turn.text:
                await self._card(turn, turn.value.get("verb"), turn.value, invoke=False)
                return None
            handler = self._texts.get(normalise_command(turn.text))
            if handler is None:
                handler = next((h for p, h in self._patterns if p.fullmatch(turn.text)), None)
            handler = handler or self._fallback
            if handler is not None:
                await handler(turn)
            return None
        if turn.type == "conversationUpdate":
            if turn.members_added and "membersAdded" in self._updates:
                await self._updates["membersAdded"](turn)
            return None
        if turn.type == "installationUpdate":
            # "add" only: an app upgrade ("add-upgrade") is not a new install to welcome.
            if turn.action in (None, "add") and "installed" in self._updates:
                await self._updates["installed"](turn)
            return None
        handler = self._activities.get(turn.type)
        if handler is not None:
            await handler(turn)
        return None

    async def _card(self, turn: Turn, verb: Any, data: Any, *, invoke: bool) -> InvokeResult | None:
        route = self._cards.get(verb) if isinstance(verb, str) else None
        if route is None:
            raise BadCardData(f"unknown card verb {verb!r}")
        try:
            payload = route.model.model_validate(data)
        except ValidationError as exc:
            raise BadCardData(f"card data for {verb!r} is invalid: {exc.error_count()} error(s)") from None
        try:
            reply = await route.handler(turn, payload)
        except Refused as refused:
            reply = CardReply(text=turn.t[refused.message])
        if not invoke:
            if reply.card is not None:
                await turn.send_card(reply.card)
            if reply.text:
                await turn.send_text(reply.text)
            return None
        if reply.card is not None:
            if reply.text:
                await turn.send_text(reply.text)
            return InvokeResult.card(reply.card)
        return InvokeResult.message(reply.text or "")
