"""The Bot Connector outside a turn, as a deployment reaches it: one HTTP session and the bot's
own token for proactive messages (`Notifier`) and member lookups."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import AsyncIterator

import aiohttp

from bot.conversations import ConversationStore
from bot.edge.credentials import TO_CHANNEL_OAUTH_SCOPE, EntraCredentialFactory
from bot.edge.members import BotConnectorMembers
from bot.edge.notifier import BotConnectorNotifier, Token
from config.settings import Settings


@dataclass(frozen=True, slots=True)
class Connector:
    """What the bot reaches the Bot Connector with, outside a turn."""

    http: aiohttp.ClientSession
    token: Token
    members: BotConnectorMembers

    def notifier(self, conversations: ConversationStore | None = None) -> BotConnectorNotifier:
        """A Notifier that forgets conversations the bot is no longer in."""
        return BotConnectorNotifier(self.http, self.token, conversations)


@contextlib.asynccontextmanager
async def open_connector(settings: Settings) -> AsyncIterator[Connector]:
    """Signed with the bot's own credentials (unsigned in local mode); the HTTP session closed
    on the way out."""
    credentials = EntraCredentialFactory(settings)

    async def token() -> str | None:
        return await credentials.bearer(TO_CHANNEL_OAUTH_SCOPE)

    async with aiohttp.ClientSession() as http:
        yield Connector(http, token, BotConnectorMembers(http, token))
