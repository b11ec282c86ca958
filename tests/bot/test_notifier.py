"""Sending outside a turn: the Notifier contract on the in-memory twin and on the Bot Connector
implementation (against the fake Bot Connector on loopback), Teams' pacing, a 429 storm in
which nothing is lost and nothing sent twice, and conversations the bot was removed from."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Callable

import aiohttp
import pytest

from bot.conversations import ConversationReference, SqliteConversationStore
from bot.edge.credentials import EntraCredentialFactory
from bot.edge.notifier import BotConnectorNotifier
from bot.notify import MemoryNotifier, Notifier, Outcome, RetryRule, TeamsPacer
from config.settings import load_settings
from tests.bot import activities as a
from tests.fakes.bot_connector import RunningConnector
from tests.fakes.clock import FakeTime


def reference(service_url: str, user: str = "user-1", conversation: str | None = None) -> ConversationReference:
    return ConversationReference(f"aad-{user}", f"a:personal-{user}" if conversation is None else conversation,
                                 service_url, "msteams", a.BOT_ID, f"29:{user}", "personal", a.TENANT)


async def no_token() -> None:
    """No bearer token: the fake Bot Connector takes unsigned calls."""
    return None


class Kind:
    """One Notifier under test, with the means to look at what it delivered."""

    def __init__(self, notifier: Notifier, service_url: str, delivered: Callable[[], list[str]],
                 remove: Callable[[str], None]) -> None:
        self.notifier, self.service_url, self.delivered, self.remove = notifier, service_url, delivered, remove


@pytest.fixture(params=["memory", "bot connector"])
async def kind(request: pytest.FixtureRequest, connector: RunningConnector) -> AsyncIterator[Kind]:
    if request.param == "memory":
        memory = MemoryNotifier()
        yield Kind(memory, "http://127.0.0.1:9/", lambda: [act["text"] for _, act in memory.sent],
                   memory.gone.add)
        return
    async with aiohttp.ClientSession() as http:
        notifier = BotConnectorNotifier(http, no_token, retry=RetryRule(base=0.01))
        yield Kind(notifier, connector.service_url, connector.fake.texts, connector.fake.gone.add)


async def test_a_notification_reaches_its_conversation_once(kind: Kind) -> None:
    message = {"type": "message", "text": "研修の期限が近づいています"}
    sent = await kind.notifier.send(reference(kind.service_url), message)
    assert sent.outcome is Outcome.SENT and sent.conversation_id == "a:personal-user-1"
    assert kind.delivered() == ["研修の期限が近づいています"]


async def test_a_conversation_the_bot_was_removed_from_is_skipped(kind: Kind) -> None:
    kind.remove("a:personal-user-2")
    first = await kind.notifier.send(reference(kind.service_url, "user-2"), {"text": "一通目"})
    again = await kind.notifier.send(reference(kind.service_url, "user-2"), {"text": "二通目"})
    assert first.outcome is again.outcome is Outcome.GONE
    assert kind.delivered() == []


async def test_a_personal_chat_is_opened_when_only_the_person_is_known(connector: RunningConnector) -> None:
    async with aiohttp.ClientSession() as http:
        notifier = BotConnectorNotifier(http, no_token)
        only_the_person = reference(connector.service_url, "user-5", conversation="")
        sent = await notifier.send(only_the_person, {"text": "はじめまして"})
    assert sent.outcome is Outcome.SENT and sent.conversation_id == "a:created-29:user-5"
    [created] = connector.fake.created
    assert created["bot"]["id"] == a.BOT_ID and created["members"] == [{"id": "29:user-5"}]
    assert created["channelData"]["tenant"]["id"] == a.TENANT
    assert connector.fake.replies[0]["_conversation"] == "a:created-29:user-5"


async def test_a_429_storm_loses_nothing_and_sends_nothing_twice(connector: RunningConnector) -> None:
    connector.fake.throttle, connector.fake.retry_after = 40, "0"
    texts = [f"お知らせ {n}" for n in range(20)]
    async with aiohttp.ClientSession() as http:
        notifier = BotConnectorNotifier(http, no_token, retry=RetryRule(attempts=20, base=0.01))
        results = await asyncio.gather(*(
            notifier.send(reference(connector.service_url, f"user-{n % 4}"), {"text": text})
            for n, text in enumerate(texts)))
    assert [r.outcome for r in results] == [Outcome.SENT] * 20
    assert sorted(connector.fake.texts()) == sorted(texts)  # every one, once
    assert connector.fake.throttled == 40


async def test_notifications_are_signed_with_the_bot_s_own_token(tmp_path: Path,
                                                                 connector: RunningConnector) -> None:
    settings = load_settings(data_dir=tmp_path, **{k[3:].lower(): v for k, v in connector.auth_env().items()})
    credentials = EntraCredentialFactory(settings)
    async with aiohttp.ClientSession() as http:
        notifier = BotConnectorNotifier(http, lambda: credentials.bearer("https://api.botframework.com"))
        await notifier.send(reference(connector.service_url), {"text": "署名付き"})
    scheme, token = connector.fake.reply_auth[0].split(" ", 1)
    assert scheme == "Bearer" and token in connector.fake.issued


async def test_a_gone_conversation_is_forgotten_by_the_store(tmp_path: Path, connector: RunningConnector) -> None:
    store = SqliteConversationStore(tmp_path / "bot-state.sqlite3")
    ref = reference(connector.service_url, "user-3")
    await store.remember(ref)
    connector.fake.gone.add(ref.conversation_id)
    async with aiohttp.ClientSession() as http:
        sent = await BotConnectorNotifier(http, no_token, store).send(ref, {"text": "x"})
    assert sent.outcome is Outcome.GONE and await store.of_user("aad-user-3") == []
    await store.close()


async def test_a_message_is_updated_in_place_through_a_429_storm(tmp_path: Path,
                                                                  connector: RunningConnector) -> None:
    store = SqliteConversationStore(tmp_path / "bot-state.sqlite3")
    ref = reference(connector.service_url, "user-3")
    await store.remember(ref)
    async with aiohttp.ClientSession() as http:
        notifier = BotConnectorNotifier(http, no_token, store, retry=RetryRule(attempts=20, base=0.01))
        sent = await notifier.send(ref, {"text": "受付しました"})
        connector.fake.throttle = 5
        assert sent.activity_id is not None
        updated = await notifier.update(ref, sent.activity_id, {"type": "message", "text": "回答済みです"})
        # A message that was deleted (or never was): that copy is gone, the chat is not.
        missing = await notifier.update(ref, "reply-999", {"type": "message", "text": "x"})
        later = await notifier.send(ref, {"text": "まだ書けます"})
    assert updated.outcome is Outcome.SENT and connector.fake.throttled == 5
    [put] = connector.fake.updates
    assert (put["text"], put["id"], put["_conversation"]) == ("回答済みです", sent.activity_id, "a:personal-user-3")
    assert connector.fake.latest(connector.fake.replies[0])["text"] == "回答済みです"
    assert missing.outcome is Outcome.GONE and later.outcome is Outcome.SENT
    assert await store.of_user("aad-user-3") == [ref]
    await store.close()


async def test_updating_in_a_conversation_the_bot_left_forgets_it(tmp_path: Path,
                                                                   connector: RunningConnector) -> None:
    store = SqliteConversationStore(tmp_path / "bot-state.sqlite3")
    ref = reference(connector.service_url, "user-4")
    await store.remember(ref)
    async with aiohttp.ClientSession() as http:
        notifier = BotConnectorNotifier(http, no_token, store)
        sent = await notifier.send(ref, {"text": "受付しました"})
        connector.fake.gone.add(ref.conversation_id)
        updated = await notifier.update(ref, sent.activity_id or "", {"type": "message", "text": "回答済みです"})
    assert updated.outcome is Outcome.GONE and connector.fake.updates == []
    assert await store.of_user("aad-user-4") == []
    await store.close()


async def test_pacing_keeps_within_teams_limits_per_conversation() -> None:
    t, log = FakeTime(), []
    pacer = TeamsPacer(t.clock, t.sleep)
    for _ in range(61):
        await pacer.acquire("a:one")
        log.append(t.now)
    assert all(sum(1 for x in log if start <= x < start + 1) <= 7 for start in log)
    assert all(sum(1 for x in log if start <= x < start + 30) <= 60 for start in log)
    assert log[60] >= 30.0  # the 61st message waits for the 30-second window
    other = t.now
    await pacer.acquire("a:two")
    assert t.now == other  # another conversation is not held back by the first one's window


async def test_pacing_keeps_within_the_app_limit() -> None:
    t, log = FakeTime(), []
    pacer = TeamsPacer(t.clock, t.sleep)
    for n in range(120):
        await pacer.acquire(f"a:conv-{n}")
        log.append(t.now)
    assert all(sum(1 for x in log if start <= x < start + 1) <= 50 for start in log)
