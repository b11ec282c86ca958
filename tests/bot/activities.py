"""Activity JSON as Teams sends it (trimmed to the fields Teams really sets), for bot tests.

Shapes from https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-messages
and the Universal Actions invoke (`adaptiveCard/action`).
"""

from __future__ import annotations

import itertools
from typing import Any

BOT_ID = "28:00000000-aaaa-bbbb-cccc-000000000001"
BOT_NAME = "DXコミュニティボット"
TENANT = "11111111-2222-3333-4444-555555555555"
_ids = itertools.count(1)


def _base(service_url: str, kind: str, conversation_id: str, user: str, locale: str) -> dict[str, Any]:
    conversation: dict[str, Any] = {"id": conversation_id, "conversationType": kind, "tenantId": TENANT}
    if kind == "channel":
        conversation["isGroup"] = True
    return {
        "id": f"1700000000{next(_ids):04d}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "timestamp": "2026-11-23T01:00:00.000Z",
        "locale": locale,
        "from": {"id": f"29:{user}", "name": "山田 花子", "aadObjectId": f"aad-{user}"},
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "conversation": conversation,
        "channelData": {"tenant": {"id": TENANT}},
    }


def personal_message(service_url: str, text: str, *, user: str = "user-1", locale: str = "ja-JP") -> dict[str, Any]:
    activity = _base(service_url, "personal", f"a:personal-{user}", user, locale)
    activity.update({"type": "message", "text": text, "textFormat": "plain"})
    return activity


def channel_message(service_url: str, text: str, *, mention: bool = True, user: str = "user-2") -> dict[str, Any]:
    activity = _base(service_url, "channel", "19:general@thread.tacv2;messageid=1700000000000", user, "ja-JP")
    at = f"<at>{BOT_NAME}</at>"
    activity.update({"type": "message", "text": f"{at} {text}" if mention else text, "textFormat": "plain"})
    if mention:
        activity["entities"] = [{"type": "mention", "text": at,
                                 "mentioned": {"id": BOT_ID, "name": BOT_NAME}}]
    activity["channelData"].update({"teamsChannelId": "19:general@thread.tacv2",
                                    "team": {"id": "19:team@thread.tacv2"}})
    return activity


def card_invoke(service_url: str, verb: str, data: dict[str, Any], *, user: str = "user-1",
                locale: str = "ja-JP") -> dict[str, Any]:
    activity = _base(service_url, "personal", f"a:personal-{user}", user, locale)
    activity.update({"type": "invoke", "name": "adaptiveCard/action", "replyToId": "reply-1",
                     "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data},
                               "trigger": "manual"}})
    return activity


def installation_update(service_url: str, *, user: str = "user-1") -> dict[str, Any]:
    activity = _base(service_url, "personal", f"a:personal-{user}", user, "ja-JP")
    activity.update({"type": "installationUpdate", "action": "add"})
    return activity


def members_added(service_url: str, member_ids: list[str], *, kind: str = "personal") -> dict[str, Any]:
    activity = _base(service_url, kind, "a:personal-user-1" if kind == "personal" else "19:general@thread.tacv2",
                     "user-1", "ja-JP")
    activity.update({"type": "conversationUpdate", "membersAdded": [{"id": m} for m in member_ids]})
    return activity
