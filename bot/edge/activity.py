"""Incoming activity JSON checked at the edge: enough shape to route and reply, or a 400."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_BODY_BYTES = 256 * 1024  # Teams caps a message at about 28 KB; anything near this is not Teams
_MENTION = re.compile(r"<at[^>]*>(.*?)</at>", re.DOTALL)


class MalformedActivity(ValueError):
    """The body is not an activity we can act on (400)."""


class _Account(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=1024)


class _Conversation(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=1024)


class InboundActivity(BaseModel):
    """The fields we rely on; everything else passes through untouched."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    type: str = Field(min_length=1, max_length=64)
    service_url: str = Field(alias="serviceUrl", max_length=2048)
    conversation: _Conversation
    sender: _Account = Field(alias="from")
    recipient: _Account | None = None
    text: str | None = Field(None, max_length=100_000)

    @field_validator("service_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("serviceUrl must be an http(s) URL")
        return value


def check_activity(body: Any) -> InboundActivity:
    """Validate a decoded JSON body; MalformedActivity says what is wrong (no content echoed)."""
    if not isinstance(body, dict):
        raise MalformedActivity("the body must be a JSON object")
    try:
        return InboundActivity.model_validate(body)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise MalformedActivity(f"invalid activity: {where}") from None


def text_without_mentions(activity: dict[str, Any]) -> tuple[str, bool]:
    """The message text with the bot's @mention removed, and whether the bot was mentioned."""
    text = activity.get("text") or ""
    bot_id = (activity.get("recipient") or {}).get("id")
    mentioned = False
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        if (entity.get("mentioned") or {}).get("id") == bot_id:
            mentioned = True
            if entity.get("text"):
                text = text.replace(entity["text"], " ")
    text = _MENTION.sub(r"\1", text)  # other people's mentions keep their names, not the markup
    return " ".join(text.split()), mentioned
