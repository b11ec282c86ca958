"""The conversation store contract, on memory, SQLite and Azure Table storage (Azurite): what the
Notifier reads back is what turns remembered; a changed reference replaces the old one; a
forgotten conversation is gone; SQLite keeps it all across a restart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator

import pytest

from azurestore import StateStorage
from bot.azure_state import TableConversationStore
from bot.conversations import (
    ConversationReference,
    ConversationStore,
    MemoryConversationStore,
    SqliteConversationStore,
)
from tests.fakes.azurite import unique_prefix

TEAMS_JP = "https://smba.trafficmanager.net/jp/"


def ref(user: str, conversation: str, service_url: str = TEAMS_JP) -> ConversationReference:
    return ConversationReference(f"aad-{user}", conversation, service_url, "msteams", "28:bot", f"29:{user}",
                                 "personal", "tenant-1")


@pytest.fixture(params=["memory", "sqlite", "azure"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConversationStore]:
    storage = None
    s: ConversationStore
    if request.param == "azure":
        storage = StateStorage(request.getfixturevalue("azurite").connection_string, unique_prefix())
        s = TableConversationStore(storage)
    else:
        s = (MemoryConversationStore() if request.param == "memory"
             else SqliteConversationStore(tmp_path / "bot-state.sqlite3"))
    yield s
    await s.close()
    if storage is not None:
        await storage.close()


async def test_references_are_read_back_per_person(store: ConversationStore) -> None:
    await store.remember(ref("hanako", "a:personal-hanako"))
    await store.remember(ref("hanako", "19:team@thread.tacv2"))
    await store.remember(ref("taro", "a:personal-taro"))
    assert [r.conversation_id for r in await store.of_user("aad-hanako")] == [
        "19:team@thread.tacv2", "a:personal-hanako"]
    assert await store.of_user("aad-nobody") == []


async def test_a_changed_reference_replaces_the_old_one(store: ConversationStore) -> None:
    await store.remember(ref("hanako", "a:personal-hanako"))
    moved = replace(ref("hanako", "a:personal-hanako"), service_url="https://smba.trafficmanager.net/apac/")
    await store.remember(moved)
    assert await store.of_user("aad-hanako") == [moved]


async def test_a_forgotten_conversation_is_gone_for_everyone_in_it(store: ConversationStore) -> None:
    await store.remember(ref("hanako", "19:team@thread.tacv2"))
    await store.remember(ref("taro", "19:team@thread.tacv2"))
    await store.remember(ref("taro", "a:personal-taro"))
    await store.forget("19:team@thread.tacv2")
    assert await store.of_user("aad-hanako") == []
    assert [r.conversation_id for r in await store.of_user("aad-taro")] == ["a:personal-taro"]
    await store.remember(ref("hanako", "19:team@thread.tacv2"))  # the bot was added back
    assert len(await store.of_user("aad-hanako")) == 1


async def test_sqlite_keeps_references_across_a_restart(tmp_path: Path) -> None:
    first = SqliteConversationStore(tmp_path / "bot-state.sqlite3")
    await first.remember(ref("hanako", "a:personal-hanako"))
    await first.close()
    second = SqliteConversationStore(tmp_path / "bot-state.sqlite3")
    assert await second.of_user("aad-hanako") == [ref("hanako", "a:personal-hanako")]
    await second.close()
