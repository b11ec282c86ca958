"""A real bot server (the product's create_app) over a provisioned SQLite store, and the fake
Bot Connector it replies to, both on loopback."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.faq.entry import seed_entries
from bot.faq.importer import import_entries
from config.schema import load_list_specs
from config.settings import load_settings
from liststore import open_store
from tests.bot import activities as a
from tests.fakes.bot_connector import RunningConnector, serve_bot_connector


async def provision(settings, *, skip: tuple[str, ...] = ()) -> None:
    async with open_store(settings) as store:
        for name, spec in load_list_specs().items():
            if name not in skip:
                await store.ensure_list(spec)
        await import_entries(store, seed_entries(), replace=True)


@dataclass
class RunningBot:
    url: str
    connector: RunningConnector
    http: aiohttp.ClientSession
    settings: object

    async def post(self, activity: dict, *, token: str | None = None, **kwargs) -> aiohttp.ClientResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(f"{self.url}/api/messages", json=activity, headers=headers, **kwargs)


@asynccontextmanager
async def running_bot(tmp_path: Path, connector: RunningConnector, *, auth: bool = False,
                      skip_lists: tuple[str, ...] = (), clock: Any = None, **more: Any) -> AsyncIterator[RunningBot]:
    """`more`: further settings by field name (e.g. proposal_review_channel_id=…); `clock`: the
    bot's now (default: the real one)."""
    env = {"store": "sqlite", "data_dir": tmp_path / "var", "faq_refresh_seconds": 0.2,
           "outbox_retry_seconds": 0.05, "watch_seconds": 0.1}
    if auth:
        env.update({k[3:].lower(): v for k, v in connector.auth_env().items()})
    env.update(more)
    settings = load_settings(**env)
    await provision(settings, skip=skip_lists)
    server = TestServer(create_app(settings, **({"clock": clock} if clock else {})), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield RunningBot(str(server.make_url("")).rstrip("/"), connector, http, settings)
    finally:
        await server.close()


async def wait_for_replies(bot: RunningBot, count: int) -> list[dict]:
    """The replies the fake Bot Connector has, once there are `count` (or after two seconds)."""
    for _ in range(100):
        if len(bot.connector.fake.replies) >= count:
            break
        await asyncio.sleep(0.02)
    return bot.connector.fake.replies


async def questions(bot: RunningBot, count: int | None = None, *, where: Any = None) -> list[dict]:
    """Every item of the bot's Questions list, with its key, once there are `count` of them
    (and `where(items)` holds) or after five seconds: the outbox writes them after the turn."""
    for _ in range(250):
        async with open_store(bot.settings) as store:
            items = [dict(i.fields, key=i.key) async for page in store.pages("Questions") for i in page]
        if (count is None or len(items) >= count) and (where is None or where(items)):
            return items
        await asyncio.sleep(0.02)
    return items


async def ask(bot: RunningBot, text: str, *, user: str = "user-1") -> dict:
    """The card the bot replies with to `text` in a personal chat."""
    before = len(bot.connector.fake.replies)
    await bot.post(a.personal_message(bot.connector.service_url, text, user=user))
    await wait_for_replies(bot, before + 1)
    return bot.connector.fake.cards()[-1]


def action_data(card: dict, verb: str, n: int = 0) -> dict:
    """The data of the `n`th action with this verb on a card, as Teams sends it back."""
    return [act["data"] for act in card.get("actions", []) if act.get("verb") == verb][n]


async def press(bot: RunningBot, data: dict, *, user: str = "user-1") -> aiohttp.ClientResponse:
    """Press a card's button: the Action.Execute invoke Teams sends with the action's data."""
    return await bot.post(a.card_invoke(bot.connector.service_url, data["verb"], data, user=user))


def answered_with(card: dict, entries: Any = None) -> str | None:
    """The FAQ entry an answer card shows (found by its question); None for a "did you mean"
    or no-answer card."""
    if not any(act.get("verb") == "faq.feedback" for act in card.get("actions", [])):
        return None
    question = next(b["text"] for b in card["body"] if b.get("weight") == "Bolder")
    return {e.question: e.faq_id for e in (entries or seed_entries())}.get(question)


@pytest.fixture
async def connector(tmp_path: Path) -> AsyncIterator[RunningConnector]:
    async with serve_bot_connector(tmp_path) as running:
        yield running


@pytest.fixture
async def bot(tmp_path: Path, connector: RunningConnector) -> AsyncIterator[RunningBot]:
    async with running_bot(tmp_path, connector) as running:
        yield running
