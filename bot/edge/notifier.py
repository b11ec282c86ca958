"""The `Notifier` over the Bot Connector REST API: proactive messages to stored conversation
references, a personal chat opened when only the person is known, paced under Teams' limits.

https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference
(POST /v3/conversations, POST /v3/conversations/{id}/activities, and
PUT /v3/conversations/{id}/activities/{activityId} to update a message in place:
https://learn.microsoft.com/microsoftteams/platform/bots/how-to/update-and-delete-bot-messages).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import quote

import aiohttp

from bot.activity import service_host
from bot.conversations import ConversationReference, ConversationStore
from bot.notify import GONE, RETRYABLE, Outcome, RetryRule, Sent, Sleep, TeamsPacer

logger = logging.getLogger(__name__)

Token = Callable[[], Awaitable[str | None]]
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers["Retry-After"])
    except (KeyError, ValueError):
        return None


class BotConnectorNotifier:
    """Sends through the Bot Connector; every reference's service URL is its own endpoint."""

    def __init__(self, http: aiohttp.ClientSession, token: Token, conversations: ConversationStore | None = None,
                 *, pacer: TeamsPacer | None = None, retry: RetryRule | None = None,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._http, self._token, self._conversations = http, token, conversations
        self._pacer = pacer or TeamsPacer()
        self._retry = retry or RetryRule()
        self._sleep = sleep
        self._gone: set[str] = set()

    async def send(self, reference: ConversationReference, activity: Mapping[str, Any]) -> Sent:
        if service_host(reference.service_url) is None:
            return Sent(Outcome.FAILED, reference.conversation_id, error="the reference's serviceUrl is not plain")
        base = reference.service_url.rstrip("/")
        conversation = reference.conversation_id
        if not conversation:
            created = await self._open_personal_chat(base, reference)
            if isinstance(created, Sent):
                return created
            conversation = created
        if conversation in self._gone:
            return Sent(Outcome.GONE, conversation)
        if reference.conversation_kind == "channel" and ";messageid=" not in conversation:
            return await self._new_thread(base, reference, activity)
        body = {**activity, "type": activity.get("type", "message"),
                "from": {"id": reference.bot_id}, "recipient": {"id": reference.user_id},
                "conversation": {"id": conversation}}
        url = f"{base}/v3/conversations/{quote(conversation, safe='')}/activities"
        status, answer = await self._request("POST", conversation, url, body)
        if status in GONE:
            await self._gone_from(conversation)
            return Sent(Outcome.GONE, conversation)
        if status is None or not 200 <= status < 300:
            return Sent(Outcome.FAILED, conversation, error=f"status {status}")
        return Sent(Outcome.SENT, conversation, str((answer or {}).get("id") or "") or None)

    async def update(self, reference: ConversationReference, activity_id: str,
                     activity: Mapping[str, Any]) -> Sent:
        if service_host(reference.service_url) is None:
            return Sent(Outcome.FAILED, reference.conversation_id, error="the reference's serviceUrl is not plain")
        conversation = reference.conversation_id
        if conversation in self._gone:
            return Sent(Outcome.GONE, conversation)
        body = {**activity, "type": activity.get("type", "message"), "id": activity_id,
                "from": {"id": reference.bot_id}, "conversation": {"id": conversation}}
        url = (f"{reference.service_url.rstrip('/')}/v3/conversations/{quote(conversation, safe='')}"
               f"/activities/{quote(activity_id, safe='')}")
        status, _ = await self._request("PUT", conversation, url, body)
        if status == 404:
            return Sent(Outcome.GONE, conversation, error="the message is gone")  # deleted: the chat stays
        if status in GONE:
            await self._gone_from(conversation)
            return Sent(Outcome.GONE, conversation)
        if status is None or not 200 <= status < 300:
            return Sent(Outcome.FAILED, conversation, error=f"status {status}")
        return Sent(Outcome.SENT, conversation, activity_id)

    async def _new_thread(self, base: str, reference: ConversationReference,
                          activity: Mapping[str, Any]) -> Sent:
        """A post of its own in a channel: the Bot Connector's create conversation, with the
        channel in channelData and the first message in `activity`.
        https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages"""
        channel = reference.conversation_id
        body: dict[str, Any] = {"isGroup": True, "bot": {"id": reference.bot_id},
                                "channelData": {"channel": {"id": channel}},
                                "activity": {**activity, "type": activity.get("type", "message"),
                                             "from": {"id": reference.bot_id}}}
        if reference.tenant_id:
            body["channelData"]["tenant"] = {"id": reference.tenant_id}
            body["tenantId"] = reference.tenant_id
        status, answer = await self._request("POST", channel, f"{base}/v3/conversations", body)
        if status in GONE:
            await self._gone_from(channel)
            return Sent(Outcome.GONE, channel)
        if status is None or not 200 <= status < 300:
            return Sent(Outcome.FAILED, channel, error=f"status {status}")
        return Sent(Outcome.SENT, str((answer or {}).get("id") or channel),
                    str((answer or {}).get("activityId") or "") or None)

    async def _open_personal_chat(self, base: str, reference: ConversationReference) -> str | Sent:
        body: dict[str, Any] = {"bot": {"id": reference.bot_id}, "members": [{"id": reference.user_id}],
                                "isGroup": False}
        if reference.tenant_id:
            body["channelData"] = {"tenant": {"id": reference.tenant_id}}
            body["tenantId"] = reference.tenant_id
        status, answer = await self._request("POST", f"new:{reference.user_id}", f"{base}/v3/conversations", body)
        if status in GONE:
            return Sent(Outcome.GONE, "", error="the bot cannot open a chat with this person")
        conversation = (answer or {}).get("id") if status is not None and 200 <= status < 300 else None
        if not conversation:
            return Sent(Outcome.FAILED, "", error=f"opening a personal chat: status {status}")
        return str(conversation)

    async def _request(self, method: str, conversation: str, url: str, body: Mapping[str, Any]
                       ) -> tuple[int | None, Mapping[str, Any] | None]:
        """`method` with pacing and retries; (status, JSON body), or (None, None) when it never
        got an answer it could use. A request that may have reached the service (a read
        timeout) is not repeated: a message shown twice is worse than one reported failed."""
        token = await self._token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status: int | None = None
        for attempt in range(self._retry.attempts):
            await self._pacer.acquire(conversation)
            try:
                async with self._http.request(method, url, json=body, headers=headers, timeout=TIMEOUT,
                                              allow_redirects=False) as response:
                    status = response.status
                    answer = await response.json(content_type=None) if response.content_length != 0 else None
                    if status not in RETRYABLE:
                        return status, answer if isinstance(answer, Mapping) else None
                    wait = self._retry.delay(attempt, _retry_after(response.headers))
            except aiohttp.ClientConnectorError:
                wait = self._retry.delay(attempt, None)  # never connected: nothing was sent
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning("notification to conversation %s: no answer (%s); not repeated",
                               conversation, type(exc).__name__)
                return None, None
            await self._sleep(wait)
        logger.warning("notification to conversation %s: still %s after %d attempts",
                       conversation, status, self._retry.attempts)
        return status, None

    async def _gone_from(self, conversation: str) -> None:
        self._gone.add(conversation)
        logger.info("conversation %s: the bot is no longer there; forgotten", conversation)
        if self._conversations is not None:
            await self._conversations.forget(conversation)
