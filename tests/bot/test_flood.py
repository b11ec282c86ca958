"""One caller cannot starve the others: replies to dead addresses give up quickly, a
conversation has a bounded number of turns in flight, and a long message costs what a short
one does. Real activities through the real endpoint; the slow Bot Connector is a server on
loopback that holds its answer."""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.edge.endpoint import MAX_TURNS_PER_CONVERSATION
from bot.faq.service import MATCHED_PREFIX_CHARS
from bot.features.cards import MAX_QUESTION_CHARS as MAX_MESSAGE_CHARS
from tests.bot import activities as a
from tests.bot.conftest import RunningBot, wait_for_replies


@pytest.fixture
async def held_connector() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A Bot Connector that answers replies only once the test releases it."""
    release = asyncio.Event()

    async def reply(request: web.Request) -> web.Response:
        await request.read()
        await release.wait()
        return web.json_response({"id": "held"})

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", reply)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), release
    finally:
        release.set()
        await server.close()


async def test_a_conversation_has_a_bounded_number_of_turns_in_flight(
        bot: RunningBot, held_connector: tuple[str, asyncio.Event]) -> None:
    url, release = held_connector
    first = [asyncio.create_task(bot.post(a.personal_message(url, "ヘルプ")))
             for _ in range(MAX_TURNS_PER_CONVERSATION)]
    await asyncio.sleep(0.3)  # both are now waiting for their replies to be taken
    extra = await bot.post(a.personal_message(url, "ヘルプ"))
    assert extra.status == 429 and extra.headers["Retry-After"] == "1"
    other = await bot.post(a.personal_message(bot.connector.service_url, "ヘルプ", user="user-7"))
    assert other.status == 200  # someone else is not held up
    release.set()
    assert [r.status for r in await asyncio.gather(*first)] == [200] * MAX_TURNS_PER_CONVERSATION
    assert (await bot.post(a.personal_message(url, "ヘルプ"))).status == 200


async def test_a_reply_to_a_dead_address_gives_up_quickly_in_one_log_line(
        bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    response = await bot.post(a.personal_message("http://127.0.0.1:1/", "パスワードを忘れた"))
    assert response.status == 200
    assert time.monotonic() - started < 5  # msrest's defaults retried for about ten seconds
    failed = [r for r in caplog.records if "reply not delivered" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is None
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_long_message_is_matched_on_its_beginning(bot: RunningBot) -> None:
    question = "チームズの会議を録画したい。"
    longest = question + "あ" * (MAX_MESSAGE_CHARS - len(question))  # the longest message answered
    for text in (question + "あ" * (MATCHED_PREFIX_CHARS - len(question)), longest):
        await bot.post(a.personal_message(bot.connector.service_url, text))
    replies = await wait_for_replies(bot, 2)
    assert len(replies) == 2, replies
    short_card, long_card = bot.connector.fake.cards()
    assert short_card["body"] == long_card["body"]  # the same answer, and a real one
    assert "録画" in str(short_card["body"])


async def test_a_reply_never_follows_a_redirect(bot: RunningBot) -> None:
    """A serviceUrl on loopback that answers 307 must not hand the reply to another host."""

    async def redirect(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPTemporaryRedirect(f"{bot.connector.service_url}{request.path}")

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", redirect)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    bot.connector.fake.replies.clear()
    try:
        url = str(server.make_url("")).rstrip("/")
        response = await bot.post(a.personal_message(url, "パスワードを忘れた"))
        assert response.status == 200
        await asyncio.sleep(0.3)
    finally:
        await server.close()
    assert bot.connector.fake.replies == []  # the redirect's target never got the reply
