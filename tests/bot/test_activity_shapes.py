"""Whatever JSON arrives at /api/messages, the answer is 2xx, 400, 401 or 403, never a 500
(or 501, Bot Framework's answer to an invoke name a bot does not serve).

The bot runs for real (create_app, SQLite, the fake Bot Connector) on its own event loop in a
thread, so hypothesis can drive it from an ordinary test function.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot import activities as a
from tests.bot.conftest import RunningBot, running_bot
from tests.fakes.bot_connector import serve_bot_connector

ALLOWED = {200, 201, 202, 400, 401, 403, 501}


class ThreadedBot:
    """A running bot on an event loop of its own; `post` blocks until the answer is in."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.bot: RunningBot | None = None
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(tmp_path),))

    async def _main(self, tmp_path: Path) -> None:
        self._stop = asyncio.Event()
        async with serve_bot_connector(tmp_path) as connector, running_bot(tmp_path, connector) as bot:
            self.bot = bot
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> "ThreadedBot":
        self._thread.start()
        assert self._ready.wait(120), "the bot did not start"
        return self

    def __exit__(self, *_: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        self.loop.close()

    @property
    def service_url(self) -> str:
        assert self.bot is not None
        return self.bot.connector.service_url

    def post(self, body: Any) -> int:
        async def send() -> int:
            assert self.bot is not None
            response = await self.bot.http.post(
                f"{self.bot.url}/api/messages", data=json.dumps(body),
                headers={"Content-Type": "application/json"})
            await response.read()
            return response.status

        return asyncio.run_coroutine_threadsafe(send(), self.loop).result(60)


@pytest.fixture(scope="module")
def threaded_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedBot]:
    with ThreadedBot(tmp_path_factory.mktemp("shapes")) as running:
        yield running


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

# Fields the product reads, at every depth it reads them.
PATHS = [
    ("type",), ("id",), ("name",), ("serviceUrl",), ("channelId",), ("text",), ("locale",),
    ("action",), ("replyToId",), ("value",), ("entities",), ("membersAdded",), ("channelData",),
    ("from",), ("from", "id"), ("from", "name"), ("from", "aadObjectId"), ("recipient",),
    ("recipient", "id"), ("conversation",), ("conversation", "id"),
    ("conversation", "conversationType"), ("conversation", "tenantId"), ("channelData", "tenant"),
    ("entities", 0), ("entities", 0, "mentioned"), ("entities", 0, "mentioned", "id"),
    ("entities", 0, "text"), ("value", "action"), ("value", "action", "data"),
    ("value", "action", "verb"), ("membersAdded", 0), ("membersAdded", 0, "id"),
]


def templates(url: str) -> list[dict[str, Any]]:
    return [
        a.personal_message(url, "パスワードを忘れた"),
        a.channel_message(url, "会議を録画したい"),
        a.card_invoke(url, "faq.feedback", {"verb": "faq.feedback", "cardId": "Zx9_-a1B2c3D4e5F", "helpful": True}),
        a.installation_update(url),
        a.members_added(url, [a.BOT_ID]),
    ]


def mutate(activity: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool) -> dict[str, Any]:
    out = copy.deepcopy(activity)
    node: Any = out
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return out
    last = path[-1]
    try:
        if delete and isinstance(node, dict):
            node.pop(last, None)
        else:
            node[last] = value
    except (IndexError, TypeError):
        pass
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 4), path=st.sampled_from(PATHS), value=json_values, delete=st.booleans())
def test_no_activity_shape_is_a_500(threaded_bot: ThreadedBot, which: int, path: tuple[Any, ...],
                                    value: Any, delete: bool) -> None:
    activity = mutate(templates(threaded_bot.service_url)[which], path, value, delete)
    assert threaded_bot.post(activity) in ALLOWED


@pytest.mark.parametrize("change", [
    lambda x: x.update(service_url=x.pop("serviceUrl")),
    lambda x: x.update(entities=[{"type": "mention", "mentioned": "bot", "text": "<at>bot</at>"}]),
    lambda x: x.update(entities=[{"type": "mention", "mentioned": {"id": a.BOT_ID}, "text": 42}]),
    lambda x: x["conversation"].update(conversationType=["personal"]),
    lambda x: x.update(channelData="teams"),
    lambda x: x.update(type="invoke", name="adaptiveCard/action", value=[1, 2]),
    lambda x: x.update(membersAdded=["28:bot"]),
    lambda x: x["from"].update(name={"first": "花子"}),
], ids=["service_url", "mentioned-string", "mention-text-number", "conversationType-list",
        "channelData-string", "invoke-value-list", "membersAdded-strings", "from-name-object"])
def test_known_wrong_shapes_are_400(threaded_bot: ThreadedBot, change: Any) -> None:
    activity = a.personal_message(threaded_bot.service_url, "ヘルプ")
    change(activity)
    assert threaded_bot.post(activity) == 400
