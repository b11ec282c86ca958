"""Incoming activity JSON, validated: enough shape to route and reply, or a 400 at the edge.

The edge validates every body with `check_activity` and hands the model to the bot on the
`Turn`; handlers read typed fields, never the raw dict.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MAX_BODY_BYTES = 256 * 1024  # Teams caps a message at about 28 KB; anything near this is not Teams
_MENTION = re.compile(r"<at[^>]*>(.*?)</at>", re.DOTALL)


# A Bot Connector serviceUrl is scheme, host, optional port and a plain path
# (https://smba.trafficmanager.net/jp/). Nothing else is accepted: userinfo (`@`), a backslash,
# a query or fragment, spaces or non-ASCII are how a URL reads as one host to one parser and
# another host to the HTTP client that connects (`http://evil.example\@127.0.0.1/`).
_SERVICE_URL = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
    r"(?:/[A-Za-z0-9._~!$&'()*+,;=:%/-]*)?")


def service_host(url: str) -> str | None:
    """The host a reply to `url` connects to, or None when the parsers that read it disagree.

    The standard library reads the URL for our checks and urllib3 connects for botbuilder's
    replies; both must see the same host, or the URL is refused.
    """
    from urllib.parse import urlsplit

    from urllib3.util import parse_url

    try:
        ours = urlsplit(url).hostname
        theirs = parse_url(url).host
    except ValueError:
        return None
    if not ours or not theirs or ours.lower() != theirs.strip("[]").lower():
        return None
    return ours


class MalformedActivity(ValueError):
    """The body is not an activity we can act on (400)."""


# Every field the product reads is typed here, so that a body of the wrong shape is a 400 at
# the door instead of an AttributeError (a 500) deep inside a turn. Unread fields pass through.
Id = Annotated[str, Field(min_length=1, max_length=1024)]
Short = Annotated[str, Field(max_length=1024)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Account(_Part):
    id: Id
    name: Short | None = None
    aad_object_id: Short | None = Field(None, alias="aadObjectId")


class _Member(_Part):
    id: Id


class _Conversation(_Part):
    id: Id
    conversation_type: Short | None = Field(None, alias="conversationType")
    tenant_id: Short | None = Field(None, alias="tenantId")
    is_group: bool | None = Field(None, alias="isGroup")


class _Entity(_Part):
    type: Short | None = None
    text: str | None = Field(None, max_length=4096)
    mentioned: _Account | None = None


class _Tenant(_Part):
    id: Short | None = None


class _ChannelData(_Part):
    tenant: _Tenant | None = None


class InboundActivity(BaseModel):
    """The fields the product reads, with the types it reads them as; everything else passes
    through untouched."""

    model_config = ConfigDict(extra="allow", strict=True)
    type: str = Field(min_length=1, max_length=64)
    id: Short | None = None
    name: Short | None = None
    service_url: str = Field(alias="serviceUrl", max_length=2048)
    channel_id: Short | None = Field(None, alias="channelId")
    conversation: _Conversation
    sender: _Account = Field(alias="from")
    recipient: _Account | None = None
    text: str | None = Field(None, max_length=100_000)
    locale: Short | None = None
    action: Short | None = None
    reply_to_id: Short | None = Field(None, alias="replyToId")
    entities: list[_Entity] | None = Field(None, max_length=64)
    members_added: list[_Member] | None = Field(None, alias="membersAdded", max_length=1000)
    channel_data: _ChannelData | None = Field(None, alias="channelData")
    value: Any = None

    @field_validator("service_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _SERVICE_URL.fullmatch(value) or service_host(value) is None:
            raise ValueError("serviceUrl must be a plain http(s) URL")
        return value

    @model_validator(mode="after")
    def _invoke_value_is_an_object(self) -> "InboundActivity":
        # Card actions and every other invoke carry an object; anything else is not one.
        if self.type == "invoke" and not isinstance(self.value, dict):
            raise ValueError("an invoke's value must be an object")
        if self.type == "invoke" and not self.name:
            raise ValueError("an invoke needs a name")
        return self


def check_activity(body: Any) -> InboundActivity:
    """Validate a decoded JSON body; MalformedActivity says what is wrong (no content echoed)."""
    if not isinstance(body, dict):
        raise MalformedActivity("the body must be a JSON object")
    try:
        return InboundActivity.model_validate(body)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise MalformedActivity(f"invalid activity: {where}") from None


def text_without_mentions(activity: InboundActivity) -> tuple[str, bool]:
    """The message text with the bot's @mention removed, and whether the bot was mentioned."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    mentioned = False
    for entity in activity.entities or []:
        if entity.type != "mention" or entity.mentioned is None or entity.mentioned.id != bot_id:
            continue
        mentioned = True
        if entity.text:
            text = text.replace(entity.text, " ")
    text = _MENTION.sub(r"\1", text)  # other people's mentions keep their names, not the markup
    return " ".join(text.split()), mentioned
