"""Bot Connector credentials from azure-identity, the same library (and authority, proxy and CA
settings) the Graph client uses, instead of botbuilder's own MSAL wrapper."""

from __future__ import annotations

import asyncio
import time

from azure.identity import ClientSecretCredential
from botframework.connector.auth import AppCredentials, MicrosoftAppCredentials, ServiceClientCredentialsFactory

from config.settings import Settings

# Multi-tenant bots get their Bot Connector token from this pseudo-tenant; single-tenant bots
# from their own (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication).
BOT_FRAMEWORK_TENANT = "botframework.com"
REFRESH_AHEAD_SECONDS = 600
# The scope of the bot's own tokens for calls to the Bot Connector.
TO_CHANNEL_OAUTH_SCOPE = "https://api.botframework.com"


class _EntraAppCredentials(AppCredentials):
    """Signs Bot Connector calls with a token from azure-identity (cached and refreshed there)."""

    def __init__(self, app_id: str, credential: ClientSecretCredential, oauth_scope: str) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._credential = credential

    def get_access_token(self, force_refresh: bool = False) -> str:
        scope = self.oauth_scope if self.oauth_scope.endswith("/.default") else f"{self.oauth_scope}/.default"
        return self._credential.get_token(scope).token


class EntraCredentialFactory(ServiceClientCredentialsFactory):
    """Credentials for the one app id this bot is; authentication is off without one."""

    def __init__(self, settings: Settings) -> None:
        self._app_id = settings.bot_app_id
        self._fresh_until: dict[str, float] = {}  # scope → when to fetch ahead of expiry again
        self._credential = None
        if settings.bot_app_id and settings.bot_app_password is not None:
            verify = str(settings.ca_bundle) if settings.ca_bundle else True
            self._credential = ClientSecretCredential(
                settings.bot_tenant_id or BOT_FRAMEWORK_TENANT, settings.bot_app_id,
                settings.bot_app_password.get_secret_value(), authority=settings.authority_host,
                disable_instance_discovery=not settings.authority_is_public_cloud,
                connection_verify=verify)

    async def warm(self, oauth_scope: str) -> None:
        """Have a token cached before botbuilder asks for one.

        botbuilder asks synchronously, from inside the event loop, while signing a reply; a
        token fetch there would stall every conversation. Fetched here in a thread, the
        synchronous ask is a cache hit (azure-identity refreshes ahead of expiry).
        """
        scope = f"{oauth_scope}/.default"
        if self._credential is None or time.time() < self._fresh_until.get(scope, 0.0):
            return  # the cached token is far from expiry: no thread hop on every turn
        token = await asyncio.to_thread(self._credential.get_token, scope)
        # azure-identity refreshes within 5 minutes of expiry, synchronously; warm before that.
        self._fresh_until[scope] = token.expires_on - REFRESH_AHEAD_SECONDS

    async def bearer(self, oauth_scope: str) -> str | None:
        """A token for calls of our own to the Bot Connector (None in local mode: unsigned)."""
        if self._credential is None:
            return None
        token = await asyncio.to_thread(self._credential.get_token, f"{oauth_scope}/.default")
        return token.token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(self._app_id) and app_id == self._app_id

    async def is_authentication_disabled(self) -> bool:
        return not self._app_id

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> AppCredentials:
        if self._credential is None or not app_id:
            return MicrosoftAppCredentials.empty()
        if app_id != self._app_id:
            raise PermissionError("invalid app id")
        return _EntraAppCredentials(app_id, self._credential, oauth_scope)
