"""Build azure-identity credentials and the msgraph-sdk client from settings.

Every knob a city hall needs applies to both token and Graph calls: a sovereign-cloud endpoint
and authority, a TLS-inspecting proxy and its CA bundle. The bearer token is attached for a
custom `DX_GRAPH_ENDPOINT` host too (the SDK otherwise only trusts Microsoft's own hosts).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import urlparse

import aiohttp
import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline.transport import AioHttpTransport
from azure.identity.aio import CertificateCredential, ClientSecretCredential, ManagedIdentityCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from config.settings import Settings, SettingsError

APP_NAME = "DXCommunity"


def user_agent(settings: Settings) -> str:
    """SharePoint asks for `NONISV|<org>|<app>/<version>` so it can tell callers apart."""
    try:
        version = metadata.version("dx-community")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0"
    return f"NONISV|{settings.organisation}|{APP_NAME}/{version}"


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The system's trust store plus DX_CA_BUNDLE (a proxy's CA is added, not substituted)."""
    ctx = ssl.create_default_context()
    if settings.ca_bundle is not None:
        ctx.load_verify_locations(cafile=str(settings.ca_bundle))
    return ctx


def graph_scope(settings: Settings) -> str:
    """`https://graph.microsoft.com/.default` or the sovereign cloud's equivalent."""
    parsed = urlparse(settings.graph_endpoint)
    return f"{parsed.scheme}://{parsed.hostname}/.default"


@dataclass
class GraphConnection:
    """What the store needs: the SDK client, its HTTP client, and what to close."""

    client: GraphServiceClient
    http: httpx.AsyncClient
    credential: AsyncTokenCredential
    auth: AzureIdentityAuthenticationProvider
    base_url: str
    _session: aiohttp.ClientSession

    async def bearer(self, url: str) -> str:
        """A token for `url` through the SDK's own provider (allowed hosts, scopes, cache)."""
        token = await self.auth.access_token_provider.get_authorization_token(url)
        return f"Bearer {token}"

    async def close(self) -> None:
        await self.http.aclose()
        await self.credential.close()
        await self._session.close()


def build_credential(settings: Settings, session: aiohttp.ClientSession) -> AsyncTokenCredential:
    """The credential the settings choose: certificate, then secret, then managed identity."""
    transport = AioHttpTransport(session=session, session_owner=False)
    common: dict[str, Any] = {"transport": transport}
    if settings.https_proxy:
        common["proxies"] = {"https": settings.https_proxy, "http": settings.https_proxy}
    if settings.use_managed_identity:
        return ManagedIdentityCredential(client_id=settings.managed_identity_client_id, **common)
    authority = {
        "authority": settings.authority_host,
        # Instance discovery asks the public cloud about the authority; sovereign and private
        # authorities are unknown to it, so it must be off for them.
        "disable_instance_discovery": not settings.authority_is_public_cloud,
    }
    if not (settings.tenant_id and settings.client_id):
        raise SettingsError("DX_TENANT_ID: required with DX_CLIENT_ID for Graph access")
    if settings.client_certificate_path is not None:
        password = settings.client_certificate_password
        return CertificateCredential(
            settings.tenant_id, settings.client_id, str(settings.client_certificate_path),
            password=password.get_secret_value() if password else None, **authority, **common)
    secret = settings.client_secret_value()
    if secret:
        return ClientSecretCredential(settings.tenant_id, settings.client_id, secret,
                                      **authority, **common)
    raise SettingsError("DX_CLIENT_CERTIFICATE_PATH: no Graph credential configured "
                        "(or DX_CLIENT_SECRET / DX_USE_MANAGED_IDENTITY=true)")


def connect(settings: Settings) -> GraphConnection:
    """The msgraph-sdk client on our own httpx client; kiota's retries off (ours apply)."""
    tls = ssl_context(settings)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls))
    credential = build_credential(settings, session)
    host = urlparse(settings.graph_endpoint).hostname or ""
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[graph_scope(settings)], allowed_hosts=[host])
    base_url = f"{settings.graph_endpoint}/v1.0"
    http = httpx.AsyncClient(
        base_url=base_url,
        verify=tls,
        proxy=settings.https_proxy,
        timeout=httpx.Timeout(60.0, connect=15.0),
        headers={"User-Agent": user_agent(settings)},
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
    )
    # One retry policy for single and batched calls: ours (liststore.sharepoint.retry).
    options = {RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0, should_retry=False)}
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url
    return GraphConnection(GraphServiceClient(request_adapter=adapter), http, credential, auth,
                           base_url, session)
