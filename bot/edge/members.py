"""The Bot Connector's member lookup: a Teams user's e-mail and UPN, which an activity lacks.

GET {serviceUrl}/v3/conversations/{conversationId}/members/{userId} answers a
TeamsChannelAccount (id, name, aadObjectId, email, userPrincipalName, …); 404 when the person is
not in the conversation.
https://learn.microsoft.com/microsoftteams/platform/bots/how-to/get-teams-context#get-single-member-details
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import aiohttp

from bot.activity import service_host
from bot.edge.notifier import TIMEOUT, Token
from bot.people import Member

logger = logging.getLogger(__name__)


class BotConnectorMembers:
    """Looks members up with the bot's own token (none in local mode)."""

    def __init__(self, http: aiohttp.ClientSession, token: Token) -> None:
        self._http, self._token = http, token

    async def member(self, service_url: str, conversation_id: str, user_id: str) -> Member | None:
        if service_host(service_url) is None:
            return None
        url = (f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}"
               f"/members/{quote(user_id, safe='')}")
        token = await self._token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self._http.get(url, headers=headers, timeout=TIMEOUT, allow_redirects=False) as response:
                if response.status != 200:
                    logger.info("member lookup: status %s", response.status)
                    return None
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.info("member lookup: no answer (%s)", type(exc).__name__)
            return None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            return None

        def text(name: str) -> str | None:
            value = body.get(name)
            return value if isinstance(value, str) and value else None

        return Member(body["id"], text("aadObjectId"), text("name"), text("email"), text("userPrincipalName"))
