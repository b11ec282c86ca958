"""A front for Azurite on 127.0.0.1 that answers some requests as a busy storage account does:
503 Server Busy with Retry-After, before the request reaches the service (so nothing of it was
applied). Everything else is passed through unchanged.

Azure Storage throttles with 503 Server Busy (tables, blobs) and asks clients to back off:
https://learn.microsoft.com/azure/storage/tables/scalability-targets#partitions and
https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes (ServerBusy).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

import aiohttp
import yarl
from aiohttp import web

from tests.fakes.azurite import ACCOUNT, KEY, Azurite

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}
_BUSY = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>'
         '<Message>The server is busy.</Message></Error>')


@dataclass
class StormFront:
    every: int  # every n-th request is refused
    port_blob: int = 0
    port_table: int = 0
    seen: int = 0
    refused: int = 0

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint=http://127.0.0.1:{self.port_blob}/{ACCOUNT};"
                f"TableEndpoint=http://127.0.0.1:{self.port_table}/{ACCOUNT};")


@asynccontextmanager
async def storm_front(azurite: Azurite, every: int = 4) -> AsyncIterator[StormFront]:
    """Azurite's blob and table services behind a front refusing every `every`-th request."""
    front = StormFront(every)
    async with aiohttp.ClientSession(auto_decompress=False) as upstream:

        def app_for(port: int) -> web.Application:
            async def forward(request: web.Request) -> web.StreamResponse:
                front.seen += 1
                if front.seen % front.every == 0:
                    front.refused += 1
                    return web.Response(status=503, text=_BUSY, content_type="application/xml",
                                        headers={"Retry-After": "1", "x-ms-error-code": "ServerBusy"})
                # Passed as signed: the same path bytes, headers and body, and nothing added (a
                # Content-Type aiohttp would add breaks the Shared Key signature).
                headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
                body = await request.read()
                async with upstream.request(request.method, yarl.URL(f"http://127.0.0.1:{port}{request.raw_path}",
                                                                     encoded=True),
                                            headers=headers, data=body or None, allow_redirects=False,
                                            skip_auto_headers=("Content-Type", "User-Agent",
                                                               "Accept-Encoding")) as answer:
                    payload = await answer.read()
                    kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
                    return web.Response(status=answer.status, body=payload, headers=kept)

            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", forward)
            return app

        runners = [web.AppRunner(app_for(azurite.blob_port)), web.AppRunner(app_for(azurite.table_port))]
        sites = []
        for runner in runners:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            sites.append(site)
        front.port_blob, front.port_table = (s._server.sockets[0].getsockname()[1] for s in sites)  # type: ignore[union-attr]
        try:
            yield front
        finally:
            for runner in runners:
                await runner.cleanup()
