"""POST /api/messages: botbuilder's CloudAdapter, with its 4.17.1 defects handled here.

- Every token that cannot be valid is a 401. CloudAdapter answers 500 when validation raises
  anything but PermissionError (an expired token raises jwt.ExpiredSignatureError, an unknown
  signing key an IndexError inside its key cache, an `alg` other than RS256 a bare Exception).
  We refuse a token whose header is not RS256 with a key id before botbuilder sees it, then
  authenticate ourselves, through the same BotFrameworkAuthentication, and turn every failure
  into 401; only a failure to fetch the signing keys is a 503 (the channel retries).
- CloudAdapter.process serialises an invoke response's body a second time (msrest's serializer on
  a plain dict) and answers 500 to every invoke with a body, Action.Execute included. We call
  process_activity and serialise the InvokeResponse once, ourselves.
- Bodies that are not JSON activities, or too large, are a 400 before anything else runs.
- botbuilder fetches signing keys with blocking `requests` calls inside its async validation;
  with an app id, validation runs on a worker thread so a key refresh never stalls the loop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import uuid
from typing import Any

import jwt
import requests
from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import (
    AuthenticationConfiguration,
    BotFrameworkAuthentication,
    BotFrameworkAuthenticationFactory,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.activity import (
    MAX_BODY_BYTES,
    InboundActivity,
    MalformedActivity,
    check_activity,
    service_host,
    text_without_mentions,
)
from bot.community import Pipeline
from bot.edge.credentials import TO_CHANNEL_OAUTH_SCOPE, EntraCredentialFactory
from bot.router import BadCardData, InvokeResult
from bot.turn import ReplyFailed, Turn
from config.settings import Settings

logger = logging.getLogger(__name__)


# Replies: at most this many attempts after the first, this long between them, and a
# connection that does not open in REPLY_CONNECT_TIMEOUT seconds is given up. msrest's defaults
# (3 retries backing off to 90 s, a 100 s timeout) let one reply to a dead address hold a
# thread for minutes; the Bot Connector answers in well under a second when it is there.
REPLY_RETRIES = 2
REPLY_BACKOFF_FACTOR = 0.2
REPLY_BACKOFF_MAX = 2
REPLY_CONNECT_TIMEOUT = 5
REPLY_READ_TIMEOUT = 30


def _tune_msrest() -> None:
    """botbuilder's replies go through msrest, configured here, once, at the edge:

    - msrest's ClientRetryPolicy computes its retry list with `i not in <list of 500>` for 999
      codes: ~5 ms of CPU per client, and botbuilder builds two clients per turn. The same codes
      as a frozenset give the same policy in microseconds.
    - retries and timeouts bounded as above.
    - redirects are not followed: the Bot Connector never redirects a reply, and following one
      would let any address that answers 307 (one on loopback in local mode, or any serviceUrl)
      send the bot's replies to a host nobody checked.
    """
    from msrest.universal_http import ClientConnection, ClientRedirectPolicy
    from msrest.universal_http.requests import ClientRetryPolicy

    if getattr(ClientRetryPolicy, "_dx_tuned", False):
        return
    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
    retry_init = ClientRetryPolicy.__init__
    connection_init = ClientConnection.__init__
    redirect_init = ClientRedirectPolicy.__init__

    def bounded_retries(self: ClientRetryPolicy) -> None:
        retry_init(self)
        self.retries = REPLY_RETRIES
        self.backoff_factor = REPLY_BACKOFF_FACTOR
        self.max_backoff = REPLY_BACKOFF_MAX  # urllib3 1.x reads BACKOFF_MAX ...
        self.policy.backoff_max = REPLY_BACKOFF_MAX  # ... and 2.x backoff_max
        # urllib3 sleeps for whatever Retry-After says, uncapped: an address answering
        # "Retry-After: 3600" would hold a thread for an hour. Two short retries instead.
        self.policy.respect_retry_after_header = False

    def bounded_timeout(self: ClientConnection) -> None:
        connection_init(self)
        self.timeout = (REPLY_CONNECT_TIMEOUT, REPLY_READ_TIMEOUT)

    def no_redirects(self: ClientRedirectPolicy) -> None:
        redirect_init(self)
        self.allow = False
        self.max_redirects = 0

    ClientRetryPolicy.__init__ = bounded_retries  # type: ignore[method-assign]
    ClientConnection.__init__ = bounded_timeout  # type: ignore[method-assign]
    ClientRedirectPolicy.__init__ = no_redirects  # type: ignore[method-assign]
    ClientRetryPolicy._dx_tuned = True  # type: ignore[attr-defined]


# Turns one conversation may have in flight, and all conversations together. A person types
# one message at a time and a group chat rarely has several people asking the bot in the same
# second; more at once is a script. Beyond the caps the answer is 429 / 503 with Retry-After.
MAX_TURNS_PER_CONVERSATION = 4
MAX_TURNS_IN_FLIGHT = 64

# Conversations where the bot only answers when @mentioned.
SHARED_CONVERSATIONS = {"channel", "groupChat"}


def _is_loopback(url: str) -> bool:
    """True for http(s) URLs on localhost or a loopback address (no DNS lookup), as both the
    checks and the HTTP client that replies read the URL."""
    host = service_host(url) or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The Bot Connector signs channel tokens with RS256 and names the key; anything else is forged.
# https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
_CHANNEL_TOKEN_ALGORITHMS = frozenset({"RS256"})


def _plausible_channel_token(auth_header: str) -> bool:
    """True when the header carries a bearer JWT signed the way the Bot Connector signs."""
    scheme, _, token = auth_header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        header = jwt.get_unverified_header(token.strip())
    except jwt.PyJWTError:
        return False
    return header.get("alg") in _CHANNEL_TOKEN_ALGORITHMS and isinstance(header.get("kid"), str)


def build_authentication(settings: Settings, credentials: EntraCredentialFactory) -> BotFrameworkAuthentication:
    """Bot Framework authentication for this deployment; off (local mode) without an app id."""
    if not settings.bot_app_id:
        return BotFrameworkAuthenticationFactory.create(credential_factory=credentials)
    return BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_channel_from_bot_login_url=f"{settings.authority_host}/{settings.bot_tenant_id or 'botframework.com'}",
        to_channel_from_bot_oauth_scope=TO_CHANNEL_OAUTH_SCOPE,
        to_bot_from_channel_token_issuer=settings.bot_token_issuer,
        oauth_url="https://api.botframework.com",
        to_bot_from_channel_open_id_metadata_url=settings.bot_openid_metadata_url,
        # Teams never sends emulator tokens; pointing their metadata at the same keys means an
        # "emulator" token is only accepted if the channel's own keys signed it.
        to_bot_from_emulator_open_id_metadata_url=settings.bot_openid_metadata_url,
        caller_id=None,
        credential_factory=credentials,
        auth_configuration=AuthenticationConfiguration(),
    )


def _problem(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class BotEndpoint:
    """The aiohttp handler for /api/messages."""

    def __init__(self, settings: Settings, pipeline: Pipeline) -> None:
        _tune_msrest()
        self._authenticated = bool(settings.bot_app_id)
        self._credentials = EntraCredentialFactory(settings)
        self._auth = build_authentication(settings, self._credentials)
        self._adapter = CloudAdapter(self._auth)
        self._pipeline = pipeline
        self._division = (settings.division_name, settings.division_name_en)
        self._in_flight: dict[str, int] = {}  # conversation id -> turns in progress
        self._turns_in_flight = 0

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _problem(400, "TooLarge", f"activity larger than {MAX_BODY_BYTES} bytes")
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            return _problem(400, "TooLarge", f"activity larger than {MAX_BODY_BYTES} bytes")
        if "json" not in (request.content_type or ""):
            return _problem(400, "BadContentType", "activities are application/json")
        try:
            body = json.loads(raw.decode("utf-8"))
            inbound = check_activity(body)
            activity = Activity().deserialize(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _problem(400, "BadJson", "the body is not UTF-8 JSON")
        except MalformedActivity as exc:
            return _problem(400, "BadActivity", str(exc))
        except Exception:  # noqa: BLE001 - msrest's deserializer raises many kinds on odd shapes
            return _problem(400, "BadActivity", "the body is not a Bot Framework activity")

        if not self._authenticated and not _is_loopback(inbound.service_url):
            # Unsigned activities could otherwise make the bot post to any address (SSRF); the
            # Playground and the Emulator listen on loopback, Teams needs an app id anyway.
            logger.warning("local mode: refused an activity whose serviceUrl is not on loopback")
            return _problem(403, "LocalModeLoopbackOnly",
                            "without DX_BOT_APP_ID the bot replies only to a serviceUrl on this machine")
        auth_header = request.headers.get("Authorization", "")
        if self._authenticated and not _plausible_channel_token(auth_header):
            logger.info("rejected an unauthenticated request: no RS256 bearer token")
            return _problem(401, "Unauthorized", "a valid Bot Framework token is required")
        try:
            if self._authenticated:
                auth = await asyncio.to_thread(asyncio.run, self._auth.authenticate_request(activity, auth_header))
            else:
                auth = await self._auth.authenticate_request(activity, auth_header)
        except requests.RequestException:
            logger.warning("could not fetch the Bot Connector signing keys; answering 503")
            return _problem(503, "KeysUnavailable", "cannot validate tokens right now", **{"Retry-After": "5"})
        except Exception as exc:  # noqa: BLE001 - botframework raises bare Exception for bad tokens
            # Why, for the operator; never the token itself.
            logger.info("rejected an unauthenticated request: %s", type(exc).__name__)
            return _problem(401, "Unauthorized", "a valid Bot Framework token is required")

        if self._authenticated:
            try:
                await self._credentials.warm(TO_CHANNEL_OAUTH_SCOPE)
            except Exception:  # noqa: BLE001 - azure-identity raises ClientAuthenticationError and others
                logger.error("cannot get the bot's own token to reply (check DX_BOT_APP_PASSWORD)")
                return _problem(503, "BotCredentials", "the bot cannot sign its replies", **{"Retry-After": "30"})
        conversation_id = inbound.conversation.id
        if self._in_flight.get(conversation_id, 0) >= MAX_TURNS_PER_CONVERSATION:
            return _problem(429, "TooManyRequests", "this conversation has turns in progress",
                            **{"Retry-After": "1"})
        if self._turns_in_flight >= MAX_TURNS_IN_FLIGHT:
            return _problem(503, "Busy", "too many turns in progress", **{"Retry-After": "1"})
        self._in_flight[conversation_id] = self._in_flight.get(conversation_id, 0) + 1
        self._turns_in_flight += 1
        try:
            return await self._process(auth, activity, inbound)
        finally:
            self._turns_in_flight -= 1
            left = self._in_flight.pop(conversation_id) - 1
            if left:
                self._in_flight[conversation_id] = left

    async def _process(self, auth: Any, activity: Activity, inbound: InboundActivity) -> web.Response:
        """Run the turn through botbuilder and answer the HTTP request."""
        correlation_id = uuid.uuid4().hex[:12]
        outcome: dict[str, Any] = {}

        async def logic(context: TurnContext) -> None:
            turn = self._turn(context, inbound, correlation_id)
            if turn is None:
                return
            try:
                result = await self._pipeline.on_turn(turn)
            except BadCardData as exc:
                outcome["bad"] = str(exc)
                return
            if isinstance(result, InvokeResult):
                # Sets the turn's invoke response the way botbuilder reads it back.
                await context.send_activity(Activity(
                    type=ActivityTypes.invoke_response, value=InvokeResponse(status=result.status, body=result.body)))

        invoke: InvokeResponse | None = await self._adapter.process_activity(auth, activity, logic)
        if "bad" in outcome:
            logger.info("bad card data: correlation_id=%s %s", correlation_id, outcome["bad"])
            return _problem(400, "BadCardData", "the card action's data is not valid")
        if invoke is not None:
            # Serialised once, here (CloudAdapter.process would do it twice and fail).
            if invoke.body is None:
                return web.Response(status=invoke.status)
            return web.json_response(invoke.body, status=invoke.status)
        return web.Response(status=200)

    def _turn(self, context: TurnContext, inbound: InboundActivity, correlation_id: str) -> Turn | None:
        kind = inbound.conversation.conversation_type or "personal"
        text, mentioned = text_without_mentions(inbound)
        if (inbound.type == "message" and kind in SHARED_CONVERSATIONS and not mentioned
                and not isinstance(inbound.value, dict)):
            return None  # in a channel or group chat, only speak when spoken to

        async def send(activity: dict[str, Any]) -> None:
            try:
                await context.send_activity(Activity().deserialize(activity))
            except (ClientRequestError, HttpOperationError, requests.RequestException) as exc:
                raise ReplyFailed(type(exc).__name__) from exc

        return Turn(activity=inbound, text=text, correlation_id=correlation_id, _send=send,
                    division=self._division[0], division_en=self._division[1])
