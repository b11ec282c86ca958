"""A fake Bot Framework service on loopback: the Bot Connector that receives replies, the
OpenID metadata and signing keys the channel's tokens are checked against, and the token
endpoint the bot gets its own outbound token from.

Shapes follow the documented service:
- replies: POST {serviceUrl}/v3/conversations/{conversationId}/activities/{activityId}
  (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference)
- proactive messages: POST {serviceUrl}/v3/conversations/{conversationId}/activities, and
  POST {serviceUrl}/v3/conversations with bot, members and tenant to open a personal chat,
  answered with the conversation's id, or with channelData.channel and an activity to start a
  thread in a channel, answered with the thread's id (`<channel>;messageid=<id>`)
- updating a message in place: PUT {serviceUrl}/v3/conversations/{conversationId}/activities/{activityId}
  with the whole new activity; 404 for an activity this conversation never had
  (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/update-and-delete-bot-messages)
- member lookup: GET {serviceUrl}/v3/conversations/{conversationId}/members/{userId} answers a
  TeamsChannelAccount (id, name, aadObjectId, email, userPrincipalName), 404 for a stranger
  (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/get-teams-context)
- throttling as Teams does it: 429 with Retry-After (`throttle` the next N requests); 403 for a
  conversation the bot was removed from (`gone`)
  (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit)
- inbound tokens: RS256 JWT, iss https://api.botframework.com, aud = the bot's app id,
  serviceurl claim, key from the jwks_uri of the OpenID metadata, endorsements per channel
  (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication)

Metadata, keys and the connector are plain HTTP (botbuilder fetches keys with `requests`); the
token endpoint is TLS with a throwaway CA, as azure-identity only talks https to an authority.
"""

from __future__ import annotations

import json
import secrets
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.tls import LoopbackTLS, make_loopback_tls

ISSUER = "https://api.botframework.com"
APP_ID = "00000000-aaaa-bbbb-cccc-000000000001"
APP_PASSWORD = "bot-secret-value"


@dataclass
class BotConnectorFake:
    """Records every reply; signs tokens the way the Bot Connector service does."""

    app_id: str = APP_ID
    app_password: str = APP_PASSWORD
    kid: str = "fake-key-1"
    replies: list[dict[str, Any]] = field(default_factory=list)
    reply_auth: list[str | None] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    base_url: str = ""
    token_url: str = ""
    throttle: int = 0  # answer the next N posts 429
    retry_after: str = "0"
    throttled: int = 0
    gone: set[str] = field(default_factory=set)
    created: list[dict[str, Any]] = field(default_factory=list)
    # Conversation members as GET …/members/{id} answers them (TeamsChannelAccount), by user id.
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_lookups: int = 0
    # Every PUT that replaced a message, in order (the new activity, with _conversation and _activity).
    updates: list[dict[str, Any]] = field(default_factory=list)
    # The messages the bot can update: (conversation id, activity id) -> index in `replies`.
    posted: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # ---- tokens the channel sends to the bot ---------------------------------------------

    def token(self, service_url: str, *, audience: str | None = None, issuer: str = ISSUER,
              expires_in: int = 3600, kid: str | None = None, stranger: bool = False,
              algorithm: str = "RS256") -> str:
        """A channel token; `algorithm` other than RS256 forges one as an attacker would
        (`none`: unsigned; `HS256`: signed with a shared secret of the attacker's choosing)."""
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience or self.app_id, "serviceurl": service_url,
                  "nbf": now - 10, "iat": now - 10, "exp": now + expires_in}
        headers = {"kid": kid or self.kid}
        if algorithm == "none":
            return jwt.encode(claims, None, algorithm="none", headers=headers)
        if algorithm == "HS256":
            return jwt.encode(claims, "attacker-chosen-secret-of-32-bytes!", algorithm="HS256",
                              headers=headers)
        return jwt.encode(claims, self.stranger_key if stranger else self.key, algorithm="RS256",
                          headers=headers)

    # ---- HTTP handlers ------------------------------------------------------------------------

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def keys(self, request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "endorsements": ["msteams", "webchat", "test"]})
        return web.json_response({"keys": [jwk]})

    def _refuse(self, conversation: str | None) -> web.Response | None:
        if self.throttle > 0:
            self.throttle -= 1
            self.throttled += 1
            return web.json_response({"error": {"code": "TooManyRequests", "message": "throttled"}},
                                     status=429, headers={"Retry-After": self.retry_after})
        if conversation is not None and conversation in self.gone:
            return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                                "message": "The bot is not part of the conversation roster."}},
                                     status=403)
        return None

    async def create_conversation(self, request: web.Request) -> web.Response:
        refused = self._refuse(None)
        if refused is not None:
            return refused
        body = await request.json()
        self.created.append(body)
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if channel:  # a new thread in a channel, its first message in `activity`
            if channel in self.gone:
                return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                                    "message": "The bot is not part of the conversation roster."}},
                                         status=403)
            post = {**body["activity"], "_conversation": channel, "_reply_to": None}
            self.replies.append(post)
            thread = f"{channel};messageid={len(self.replies)}"
            self.posted[(thread, str(len(self.replies)))] = len(self.replies) - 1
            return web.json_response({"id": thread, "activityId": str(len(self.replies))})
        member = body["members"][0]["id"]
        return web.json_response({"id": f"a:created-{member}"})

    async def reply(self, request: web.Request) -> web.Response:
        refused = self._refuse(request.match_info["conversation"])
        if refused is not None:
            return refused
        body = await request.json()
        body["_conversation"] = request.match_info["conversation"]
        body["_reply_to"] = request.match_info.get("activity")
        self.replies.append(body)
        self.reply_auth.append(request.headers.get("Authorization"))
        self.posted[(body["_conversation"], f"reply-{len(self.replies)}")] = len(self.replies) - 1
        return web.json_response({"id": f"reply-{len(self.replies)}"})

    async def update(self, request: web.Request) -> web.Response:
        """PUT …/activities/{activityId}: the message replaced; 404 ActivityNotFound for one never posted."""
        conversation, activity = request.match_info["conversation"], request.match_info["activity"]
        refused = self._refuse(conversation)
        if refused is not None:
            return refused
        if (conversation, activity) not in self.posted:
            return web.json_response({"error": {"code": "ActivityNotFoundInConversation",
                                                "message": "The activity was not found."}}, status=404)
        body = await request.json()
        self.updates.append({**body, "_conversation": conversation, "_activity": activity})
        return web.json_response({"id": activity})

    def latest(self, reply: dict[str, Any]) -> dict[str, Any]:
        """A posted message as people see it now: its last update, or as it was posted."""
        index = next(i for i, r in enumerate(self.replies) if r is reply)
        ids = [key for key, i in self.posted.items() if i == index]
        changed = [u for u in self.updates if (u["_conversation"], u["_activity"]) in ids]
        return changed[-1] if changed else reply

    async def member(self, request: web.Request) -> web.Response:
        """GET /v3/conversations/{id}/members/{userId}: the member, or 404 MemberNotFoundInConversation."""
        self.member_lookups += 1
        found = self.members.get(request.match_info["member"])
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation",
                                                "message": "The member is not part of the conversation."}},
                                     status=404)
        return web.json_response(found)

    async def bot_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.app_password:
            return web.json_response({"error": "invalid_client", "error_codes": [7000215],
                                      "error_description": "AADSTS7000215: Invalid client secret provided."},
                                     status=401)
        access = "bf." + secrets.token_urlsafe(16)
        self.issued.add(access)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": access})

    async def openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.token_url}/{tenant}"
        return web.json_response({"token_endpoint": f"{base}/oauth2/v2.0/token", "issuer": base,
                                  "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                  "jwks_uri": f"{base}/discovery/v2.0/keys"})

    def texts(self) -> list[str]:
        return [r.get("text") or "" for r in self.replies]

    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for r in self.replies for a in r.get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


@dataclass
class RunningConnector:
    fake: BotConnectorFake
    service_url: str
    tls: LoopbackTLS

    def auth_env(self) -> dict[str, str]:
        """DX_* settings of a bot that authenticates against this fake."""
        return {"DX_BOT_APP_ID": self.fake.app_id, "DX_BOT_APP_PASSWORD": self.fake.app_password,
                "DX_BOT_OPENID_METADATA_URL": f"{self.fake.base_url}/v1/.well-known/openidconfiguration",
                "DX_AUTHORITY_HOST": self.fake.token_url, "DX_CA_BUNDLE": str(self.tls.ca_path)}


@asynccontextmanager
async def serve_bot_connector(folder: Path, fake: BotConnectorFake | None = None) -> AsyncIterator[RunningConnector]:
    """The fake on two loopback ports (plain HTTP; TLS for the token endpoint)."""
    fake = fake or BotConnectorFake()
    app = web.Application()
    app.router.add_get("/v1/.well-known/openidconfiguration", fake.metadata)
    app.router.add_get("/v1/.well-known/keys", fake.keys)
    app.router.add_post("/v3/conversations", fake.create_conversation)
    app.router.add_post("/v3/conversations/{conversation}/activities", fake.reply)
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", fake.reply)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", fake.update)
    app.router.add_get("/v3/conversations/{conversation}/members/{member}", fake.member)
    tls = make_loopback_tls(folder)
    token_app = web.Application()
    token_app.router.add_post("/{tenant}/oauth2/v2.0/token", fake.bot_token)
    token_app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", fake.openid)
    runners = [web.AppRunner(app, access_log=None), web.AppRunner(token_app, access_log=None)]
    for runner in runners:
        await runner.setup()
    plain = web.TCPSite(runners[0], "127.0.0.1", 0)
    secure = web.TCPSite(runners[1], "127.0.0.1", 0, ssl_context=tls.server_context())
    await plain.start()
    await secure.start()
    fake.base_url = f"http://127.0.0.1:{plain._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    fake.token_url = f"https://127.0.0.1:{secure._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield RunningConnector(fake, fake.base_url, tls)
    finally:
        for runner in runners:
            await runner.cleanup()
