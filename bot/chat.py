"""`dx-bot chat`: talk to the bot in a terminal, through the same pipeline Teams reaches.

Each line becomes a personal-chat message activity; replies are printed as text, cards as
their text and numbered buttons. Typing a button's number presses it (the card action goes
through the router exactly as Teams' Action.Execute invoke would).
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from typing import Any, Callable, Mapping, TextIO

from bot.activity import check_activity
from bot.community import Pipeline
from bot.router import InvokeResult
from bot.turn import Person, Turn

USER = Person("local-user", "ローカル利用者", "local-user")


def card_inputs(card: Mapping[str, Any]) -> dict[str, Any]:
    """The values a card's inputs hold as shown (what a client sends with a button)."""
    return {b["id"]: b.get("value", "") for b in card.get("body", [])
            if str(b.get("type", "")).startswith("Input.") and b.get("id")}


def card_lines(card: Mapping[str, Any]) -> tuple[list[str], list[Mapping[str, Any]]]:
    """A card's text, and the buttons that send something back."""
    lines: list[str] = []
    for block in card.get("body", []):
        if block.get("type") == "TextBlock":
            lines.append(str(block.get("text", "")))
        elif block.get("type") == "FactSet":
            lines += [f"  {f['title']}: {f['value']}" for f in block.get("facts", [])]
        elif str(block.get("type", "")).startswith("Input.") and block.get("value"):
            lines.append(f"  [{block.get('label') or block.get('id')}] {block['value']}")
    buttons: list[Mapping[str, Any]] = []
    for action in card.get("actions", []):
        if action.get("type") == "Action.OpenUrl":
            lines.append(f"  ({action['title']}: {action['url']})")
        else:
            buttons.append(action)
    return lines, buttons


class TerminalChat:
    """A read-eval-print loop over the bot pipeline."""

    def __init__(self, pipeline: Pipeline, out: TextIO = sys.stdout, locale: str = "ja-JP",
                 division: tuple[str, str] | None = None) -> None:
        self._pipeline = pipeline
        self._out = out
        self._locale = locale
        self._division = division or (None, None)  # (Japanese, English) names of the DX division
        self._buttons: list[Mapping[str, Any]] = []
        self._inputs: dict[str, Any] = {}
        self._ids = itertools.count(1)

    def _print_activity(self, activity: Mapping[str, Any]) -> None:
        if activity.get("text"):
            print(f"bot> {activity['text']}", file=self._out)
        for attachment in activity.get("attachments") or []:
            self._print_card(attachment.get("content") or {})

    def _print_card(self, card: Mapping[str, Any]) -> None:
        lines, buttons = card_lines(card)
        for line in lines:
            print(f"bot> {line}", file=self._out)
        if buttons:
            self._buttons = buttons
            self._inputs = card_inputs(card)
            print("     " + "  ".join(f"[{n}] {b['title']}" for n, b in enumerate(buttons, 1)), file=self._out)

    def _turn(self, activity: dict[str, Any], text: str) -> Turn:
        async def send(reply: dict[str, Any]) -> None:
            self._print_activity(reply)

        return Turn(check_activity(activity), text=text, correlation_id=uuid.uuid4().hex[:12], _send=send,
                    division=self._division[0], division_en=self._division[1], reachable=False)

    async def say(self, line: str) -> None:
        """One line from the user: a button number, or a message."""
        # An activity as a personal chat in Teams would send it; nothing is ever sent to its
        # serviceUrl (the turn is not reachable: replies are printed here).
        base = {"id": str(next(self._ids)), "channelId": "terminal", "serviceUrl": "http://127.0.0.1/terminal",
                "from": {"id": USER.id, "name": USER.name, "aadObjectId": USER.aad_object_id},
                "conversation": {"id": "local-chat", "conversationType": "personal"}, "locale": self._locale}
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self._buttons):
            action = self._buttons[int(stripped) - 1]
            activity = {**base, "type": "invoke", "name": "adaptiveCard/action",
                        "value": {"action": {"type": "Action.Execute", "verb": action.get("verb"),
                                             "data": {**self._inputs, **(action.get("data") or {})}}}}
            result = await self._pipeline.on_turn(self._turn(activity, ""))
            if isinstance(result, InvokeResult) and result.body:
                value = result.body.get("value")
                if isinstance(value, Mapping):
                    self._print_card(value)
                elif value:
                    print(f"bot> {value}", file=self._out)
            return
        activity = {**base, "type": "message", "text": line}
        await self._pipeline.on_turn(self._turn(activity, stripped))

    async def run(self, read_line: Callable[[], str | None]) -> None:
        """Until end of input or 「終了」/exit."""
        print("DXコミュニティボットと話せます。質問を入力してください（終了: exit / Ctrl-D）。", file=self._out)
        while True:
            line = await asyncio.to_thread(read_line)
            if line is None or line.strip().lower() in {"exit", "quit", "終了"}:
                return
            if line.strip():
                await self.say(line)
