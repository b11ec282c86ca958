"""The bot state's contract, on memory, SQLite and Azure Table storage (Azurite): the cards a turn
sends and the work they promise are kept together or not at all, a key's work is enqueued once,
and (SQLite, Azure) all of it is still there after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from azurestore import StateStorage
from bot.azure_state import TableBotState
from bot.sent_cards import SentCard, new_card_id
from bot.state import BotState, MemoryBotState, SqliteBotState, Work
from tests.fakes.azurite import unique_prefix

Opener = Callable[[], BotState]


@pytest.fixture(params=["memory", "sqlite", "azure"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "memory":
        twin = MemoryBotState()
        return lambda: twin
    if request.param == "azure":
        connection, prefix = request.getfixturevalue("azurite").connection_string, unique_prefix()
        return lambda: TableBotState(StateStorage(connection, prefix))
    return lambda: SqliteBotState(tmp_path / "bot-state.sqlite3")


@pytest.fixture
async def state(opener: Opener) -> AsyncIterator[BotState]:
    st = opener()
    yield st
    await st.close()


def card(asked: str = "粗大ごみの出し方", sent_at: str = "2026-11-30T09:00:00Z") -> SentCard:
    return SentCard(new_card_id(), "no_answer", "aad-user-1", asked, "Q-20261130-0A1B2C", sent_at,
                    faq_id="FAQ-0015", score=0.12)


async def test_cards_and_work_are_committed_together(state: BotState) -> None:
    sent = card()
    assert await state.commit(cards=[sent], work=[Work("Q-1:asked", "questions.write", {"q": 1})], now=5) == [True]
    assert await state.cards.get(sent.card_id) == sent
    [item] = await state.outbox.due(now=5)
    assert (item.key, item.kind, item.payload) == ("Q-1:asked", "questions.write", {"q": 1})
    assert state.enqueued.is_set()


async def test_nothing_is_kept_when_part_of_a_commit_fails(state: BotState) -> None:
    sent = card()
    with pytest.raises(TypeError):  # a payload that cannot be stored
        await state.commit(cards=[sent], work=[Work("Q-1:asked", "questions.write", {"q": object()})], now=5)
    assert await state.cards.get(sent.card_id) is None
    assert await state.outbox.pending() == 0 and not state.enqueued.is_set()


async def test_a_key_s_work_is_enqueued_once_and_the_card_still_changes(state: BotState) -> None:
    sent = card()
    work = Work("Q-1:escalate", "questions.escalate", {"question_id": "Q-1"})
    assert await state.commit(cards=[sent], work=[work], now=1) == [True]
    rated = sent.with_feedback("解決しない")
    assert await state.commit(cards=[rated], work=[work], now=2) == [False]
    assert (await state.cards.get(sent.card_id)) == rated and await state.outbox.pending() == 1


async def test_old_cards_are_forgotten(state: BotState) -> None:
    old, new = card(sent_at="2026-01-01T00:00:00Z"), card(sent_at="2026-11-30T00:00:00Z")
    await state.commit(cards=[old, new], now=0)
    assert await state.cards.prune("2026-06-01T00:00:00Z") == 1
    assert await state.cards.get(old.card_id) is None and await state.cards.get(new.card_id) == new


async def test_everything_is_there_after_a_restart(opener: Opener) -> None:
    first = opener()
    sent = card("会議を録画したい")
    await first.commit(cards=[sent], work=[Work("Q-1:asked", "questions.write", {"q": 1})], now=0)
    await first.close()
    again = opener()
    assert await again.cards.get(sent.card_id) == sent and await again.outbox.pending() == 1
    await again.close()


async def test_a_failed_commit_leaves_every_key_free(state: BotState) -> None:
    good, bad = Work("Q-1:asked", "questions.write", {"q": 1}), Work("Q-2:asked", "questions.write", {"q": object()})
    with pytest.raises(TypeError):
        await state.commit(work=[good, bad], now=0)
    assert await state.outbox.pending() == 0
    assert await state.commit(work=[good, Work("Q-2:asked", "questions.write", {"q": 2})], now=1) == [True, True]


async def test_closing_twice_is_harmless(opener: Opener) -> None:
    state = opener()
    await state.close()
    await state.close()


async def test_a_draft_is_kept_replaced_and_dropped_with_the_work_it_becomes(opener: Opener) -> None:
    state = opener()
    typed = {"title": "押印の廃止", "hours": 120}
    await state.commit(values={("draft", "aad-user-1"): typed, ("draft", "aad-user-3"): {"title": "x"}}, now=0)
    await state.close()
    state = opener()  # Teams closed, the bot restarted: the draft is still there
    assert await state.value("draft", "aad-user-1") == typed
    assert await state.value("draft", "aad-user-2") is None and await state.value("other", "aad-user-1") is None
    assert await state.values("draft") == {"aad-user-1": typed, "aad-user-3": {"title": "x"}}
    await state.commit(values={("draft", "aad-user-1"): None},
                       work=[Work("proposal:s1", "proposals.file", typed)], now=1)
    assert await state.value("draft", "aad-user-1") is None and await state.outbox.pending() == 1
    with pytest.raises(TypeError):  # a commit that fails keeps the values as they were
        await state.commit(values={("draft", "aad-user-1"): {"title": "新しい"}},
                           work=[Work("proposal:s2", "proposals.file", {"x": object()})], now=2)
    assert await state.value("draft", "aad-user-1") is None
    await state.commit(values={("cursor", "Proposals"): "token-7"}, now=3)  # any JSON value
    assert await state.value("cursor", "Proposals") == "token-7"
    await state.close()
