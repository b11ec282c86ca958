"""The bot state in Azure Table storage as several bot instances share it (two `TableBotState`s
over one Azurite account, as two processes would open it): a work key is enqueued once even when
both commit it at once, each item is delivered by one of them, and what one keeps the other reads.
Values and keys beyond what a table entity takes as they are still round-trip."""

from __future__ import annotations

import asyncio
import string
from typing import Any, AsyncIterator, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azurestore import StateStorage, TooLarge, escape_key
from azurestore.entities import unescape_key
from bot.azure_state import TableBotState
from bot.outbox import OutboxWorker
from bot.sent_cards import SentCard, new_card_id
from bot.state import Work
from tests.fakes.azurite import Azurite, unique_prefix


@pytest.fixture
async def pair(azurite: Azurite) -> AsyncIterator[tuple[TableBotState, TableBotState]]:
    prefix = unique_prefix()
    one = TableBotState(StateStorage(azurite.connection_string, prefix))
    two = TableBotState(StateStorage(azurite.connection_string, prefix))
    yield one, two
    await one.close()
    await two.close()


async def test_two_instances_committing_the_same_work_enqueue_it_once(
        pair: tuple[TableBotState, TableBotState]) -> None:
    one, two = pair
    work = Work("Q-20261130-0001:asked", "questions.write", {"q": "電子決裁の代決設定"})
    results = await asyncio.gather(*(state.commit(work=[work], now=0) for state in (one, two, one, two)))
    assert sorted(r[0] for r in results) == [False, False, False, True]
    assert await one.outbox.pending() == 1 and await two.outbox.pending() == 1


async def test_two_instances_deliver_each_item_once(pair: tuple[TableBotState, TableBotState]) -> None:
    one, two = pair
    await one.commit(work=[Work(f"proposal:{n}", "proposals.file", {"n": n}) for n in range(30)], now=0)
    calls: list[str] = []

    async def handler(key: str, payload: Mapping[str, Any]) -> None:
        calls.append(key)
        await asyncio.sleep(0)  # let the other instance run in between

    workers = [OutboxWorker(state.outbox, {"proposals.file": handler}, clock=lambda: 1.0) for state in pair]
    delivered = await asyncio.gather(*(w.run_once() for w in workers))
    assert sum(delivered) == 30 and sorted(calls) == sorted(f"proposal:{n}" for n in range(30))
    assert await two.outbox.pending() == 0


async def test_what_one_instance_keeps_the_other_reads(pair: tuple[TableBotState, TableBotState]) -> None:
    one, two = pair
    card = SentCard(new_card_id(), "answer", "aad-user-1", "Power Appsを共有したい", "Q-1", "2026-11-30T09:00:00Z",
                    faq_id="FAQ-0001", score=0.91, candidates=("FAQ-0001", "FAQ-0007"))
    await one.commit(cards=[card], values={("draft", "aad-user-1"): {"title": "押印の廃止"}}, now=0)
    assert await two.cards.get(card.card_id) == card
    assert await two.values("draft") == {"aad-user-1": {"title": "押印の廃止"}}
    await two.commit(values={("draft", "aad-user-1"): None}, now=1)
    assert await one.value("draft", "aad-user-1") is None


async def test_a_value_larger_than_a_table_property_round_trips(pair: tuple[TableBotState, TableBotState]) -> None:
    one, two = pair
    long = {"body": "業務改善の提案内容。" * 6_000 + "🙂" * 20_000}  # 80,000 characters, some outside the BMP
    await one.commit(values={("draft", "aad-user-9"): long}, now=0)
    assert await two.value("draft", "aad-user-9") == long
    await one.commit(values={("draft", "aad-user-9"): {"body": "短く"}}, now=1)  # shorter: no old part left over
    assert await two.value("draft", "aad-user-9") == {"body": "短く"}


async def test_what_a_table_cannot_hold_fails_the_commit_with_nothing_written(
        pair: tuple[TableBotState, TableBotState]) -> None:
    one, _ = pair
    with pytest.raises(TooLarge):
        await one.commit(values={("draft", "x"): "あ" * 2_000_000}, work=[Work("k", "file", {})], now=0)
    with pytest.raises(TooLarge):
        await one.commit(work=[Work(f"k{n}", "file", {}) for n in range(101)], now=0)
    assert await one.outbox.pending() == 0 and await one.value("draft", "x") is None


async def test_keys_a_table_refuses_are_kept_as_given(pair: tuple[TableBotState, TableBotState]) -> None:
    one, two = pair
    keys = ["a/b", "c\\d", "#1", "what?", "人事課/田中", "tab\there", "~7E", "%2F", ""]
    await one.commit(values={("space/#?", k): n for n, k in enumerate(keys)}, now=0)
    kept = await two.values("space/#?")
    assert kept == {k: n for n, k in enumerate(keys)} and list(kept) == sorted(keys)
    assert [await two.value("space/#?", k) for k in keys] == list(range(len(keys)))


@given(st.text(max_size=60))
def test_escaped_keys_are_valid_and_one_to_one(key: str) -> None:
    escaped = escape_key(key)
    assert unescape_key(escaped) == key
    assert set(escaped) <= set(string.ascii_letters + string.digits + "-_.:@~")
