"""The bot's aiohttp application: one composition root, nothing wired at import."""

from __future__ import annotations

import logging
from typing import AsyncIterator

from aiohttp import web

from config.schema import load_list_specs
from config.settings import Settings
from liststore import ListStore, StoreError, open_store

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", ListStore)


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    async with open_store(app[SETTINGS]) as store:
        app[STORE] = store
        yield


async def healthz(request: web.Request) -> web.Response:
    """Liveness plus what the store holds, so a deploy can tell an empty store from a full one."""
    store = request.app[STORE]
    lists: dict[str, int | None] = {}
    healthy = True
    for name in load_list_specs():
        try:
            lists[name] = await store.count(name)
        except StoreError:
            lists[name] = None
            healthy = False
    body = {"status": "ok" if healthy else "degraded", "store": request.app[SETTINGS].store,
            "lists": lists}
    return web.json_response(body, status=200 if healthy else 503)


async def messages_placeholder(request: web.Request) -> web.Response:
    """Until the Teams bot lands, say so instead of pretending to answer."""
    return web.json_response(
        {"error": {"code": "NotImplemented",
                   "message": "The Teams bot endpoint is not available in this version yet."}},
        status=501,
    )


def create_app(settings: Settings) -> web.Application:
    """Build the bot's web application; long-lived clients open in cleanup contexts."""
    app = web.Application(client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_store_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/messages", messages_placeholder)
    return app
