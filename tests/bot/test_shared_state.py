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
from bot.azure_state import TableBotState, TableConversationStore
from bot.conversations import ConversationReference
from bot.outbox import OutboxWorker
from bot.sent_cards import SentCard, new_card_id
from bot.state import Work
from tests.fakes.azurite import Azurite, unique_prefix
from tests.fakes.storage_storm import storm_front


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
    with pytest.raises(TooLarge):  # 300,000 characters, but 3.6 MB as the SDK sends them
        await one.commit(values={("draft", "x"): "🙂" * 300_000}, work=[Work("k", "file", {})], now=0)
    with pytest.raises(TooLarge):  # 895,000 ASCII characters: few bytes sent, 1.8 MB as Azure counts them
        await one.commit(values={("draft", "x"): "a" * 895_000}, work=[Work("k", "file", {})], now=0)
    with pytest.raises(TooLarge):  # a key beyond what a table key holds, once escaped
        await one.commit(values={("draft", "人" * 200): 1}, work=[Work("k", "file", {})], now=0)
    assert await one.outbox.pending() == 0 and await one.value("draft", "x") is None
    assert await one.value("draft", "人" * 200) is None and await one.values("人" * 200) == {}
    assert await one.conversations.of_user("人" * 200) == []  # never kept, so not there, as SQLite says


async def test_a_commit_larger_than_a_transaction_lands_whole(pair: tuple[TableBotState, TableBotState]) -> None:
    """A watch's first look at a list of 250 proposals: more than one transaction holds."""
    one, two = pair
    values: dict[tuple[str, str], object] = {("proposal-status", f"P-{n:04}"): "受付" for n in range(250)}
    values[("proposal-status", "P-0001")] = None  # dropped, among the rest
    values[("cursor", "Proposals")] = "token-1"  # last, as a watch keeps its cursor
    work = [Work(f"tell:P-{n:04}", "proposals.tell", {"n": n}) for n in range(120)]
    added = await one.commit(values=values, work=[*work, work[0]], now=0)
    assert added == [True] * 120 + [False]
    kept = await two.values("proposal-status")
    assert len(kept) == 249 and "P-0001" not in kept and await two.value("cursor", "Proposals") == "token-1"
    assert await two.outbox.pending() == 120
    assert await two.commit(work=work[:3], now=1) == [False, False, False]  # each key once


async def test_two_instances_prune_at_once(pair: tuple[TableBotState, TableBotState]) -> None:
    one, two = pair
    old = [SentCard(new_card_id(), "no_answer", "aad-user-1", f"質問{n}", f"Q-{n}", "2026-01-01T00:00:00Z")
           for n in range(150)]
    await one.commit(cards=old, work=[Work(f"k{n}", "file", {}) for n in range(150)], now=0)
    for n in range(150):
        await one.outbox.delivered(f"k{n}", now=1)
    cards = await asyncio.gather(one.cards.prune("2026-06-01T00:00:00Z"), two.cards.prune("2026-06-01T00:00:00Z"))
    work = await asyncio.gather(one.outbox.prune(before=5), two.outbox.prune(before=5))
    assert sum(cards) == 150 and sum(work) == 150
    assert await two.cards.get(old[0].card_id) is None and await one.commit(work=[Work("k0", "file", {})], now=9) \
        == [True]  # a pruned key is free again


async def test_a_late_retry_never_brings_back_what_another_instance_delivered(
        pair: tuple[TableBotState, TableBotState]) -> None:
    """Both instances hold the item (the first one's claim ran out while it was slow): the one
    that delivers wins over the other's retry or hand-back."""
    one, two = pair
    await one.commit(work=[Work("k", "file", {}), Work("j", "file", {})], now=0)
    assert await one.outbox.claim("k", now=1, until=2) and await two.outbox.claim("k", now=3, until=400)
    await two.outbox.delivered("k", now=5)
    await one.outbox.postpone("k", until=10, error="timeout")
    await one.outbox.delivered("j", now=5)
    await two.outbox.set_aside("j", "the list refuses it")
    assert await one.outbox.pending() == 0 and await two.outbox.due(now=10**9) == []
    assert await one.outbox.prune(before=6) == 2  # both delivered, neither set aside


async def test_a_person_another_instance_forgot_is_remembered_again(azurite: Azurite) -> None:
    prefix = unique_prefix()
    one = TableConversationStore(StateStorage(azurite.connection_string, prefix), refresh_seconds=0.0)
    two = TableConversationStore(StateStorage(azurite.connection_string, prefix))
    ref = ConversationReference("aad-user-1", "a:1", "https://smba.trafficmanager.net/jp/", "msteams", "28:bot",
                                "29:user-1", "personal", "tenant-1")
    await one.remember(ref)
    await two.forget("a:1")  # its message there answered 403
    await one.remember(ref)  # the person writes to the bot again, through the other instance
    assert await two.of_user("aad-user-1") == [ref]
    for store in (one, two):
        await store.close()
        await store._storage.close()


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


async def test_a_storm_of_server_busy_answers_loses_and_repeats_nothing(azurite: Azurite) -> None:
    """Every fourth request to the account is refused with 503 Server Busy (Retry-After: 1), as a
    throttled account answers: two instances commit the same turns' work at once and deliver it."""
    async with storm_front(azurite, every=4) as front:
        prefix = unique_prefix()
        pair = [TableBotState(StateStorage(front.connection_string, prefix)) for _ in range(2)]
        turns = [(SentCard(new_card_id(), "no_answer", "aad-user-1", f"質問{n}", f"Q-{n}", "2026-11-30T09:00:00Z"),
                  Work(f"Q-{n}:asked", "questions.write", {"n": n})) for n in range(6)]
        added = await asyncio.gather(*(state.commit(cards=[card], work=[work], now=0)
                                       for card, work in turns for state in pair))
        assert sorted(a[0] for a in added) == [False] * 6 + [True] * 6
        calls: list[str] = []

        async def handler(key: str, payload: Mapping[str, Any]) -> None:
            calls.append(key)

        workers = [OutboxWorker(state.outbox, {"questions.write": handler}, clock=lambda: 1.0) for state in pair]
        delivered = sum(await asyncio.gather(*(w.run_once() for w in workers)))
        assert delivered == 6 and sorted(calls) == sorted(w.key for _, w in turns)
        assert all([await pair[1].cards.get(card.card_id) == card for card, _ in turns])
        assert front.refused >= 5  # the storm was real
        for state in pair:
            await state.close()
