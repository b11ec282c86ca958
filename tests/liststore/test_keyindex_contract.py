"""The SharePoint key index's contract, on SQLite, the in-memory twin and Azure Table storage
(Azurite): what is saved per list comes back, a gone item keeps its key (a late deletion is still
traced), and a saved token is kept when a save carries none."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from azurestore import StateStorage
from liststore.sharepoint.keyindex import KeyIndex, MemoryKeyIndex, SqliteKeyIndex
from liststore.sharepoint.shared_keyindex import TableKeyIndex
from tests.fakes.azurite import unique_prefix

Opener = Callable[[], KeyIndex]


@pytest.fixture(params=["memory", "sqlite", "azure"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "memory":
        twin = MemoryKeyIndex()
        return lambda: twin
    if request.param == "azure":
        connection, prefix = request.getfixturevalue("azurite").connection_string, unique_prefix()
        return lambda: TableKeyIndex(StateStorage(connection, prefix))
    return lambda: SqliteKeyIndex(tmp_path / "graph-index.sqlite3")


@pytest.fixture
async def index(opener: Opener) -> AsyncIterator[KeyIndex]:
    ix = opener()
    yield ix
    await ix.close()


async def test_nothing_saved_reads_as_empty(index: KeyIndex) -> None:
    saved = await index.load("site", "list")
    assert (saved.token, saved.live, saved.by_id) == (None, {}, {})


async def test_entries_come_back_per_list(index: KeyIndex) -> None:
    await index.save("site", "staff", "t1", [("1", "000123", '"e1"', True), ("2", "000124", '"e2"', True)])
    await index.save("site", "courses", "c1", [("1", "C-01", '"x"', True)])
    saved = await index.load("site", "staff")
    assert saved.token == "t1"
    assert saved.live == {"000123": ("1", '"e1"'), "000124": ("2", '"e2"')}
    assert (await index.load("site", "courses")).live == {"C-01": ("1", '"x"')}


async def test_a_gone_item_keeps_its_key_and_a_missing_token_keeps_the_saved_one(index: KeyIndex) -> None:
    await index.save("site", "staff", "t1", [("1", "000123", '"e1"', True), ("2", "000124", '"e2"', True)])
    await index.save("site", "staff", None, [("2", "000124", '"e2"', False), ("1", "000123", '"e3"', True)])
    saved = await index.load("site", "staff")
    assert saved.token == "t1"
    assert saved.live == {"000123": ("1", '"e3"')} and saved.by_id == {"1": "000123", "2": "000124"}


async def test_replace_marks_every_other_entry_gone(index: KeyIndex) -> None:
    await index.save("site", "staff", "t1", [("1", "a", "e", True), ("2", "b", "e", True)])
    await index.save("site", "staff", "t2", [("3", "c", "e", True)], replace=True)
    saved = await index.load("site", "staff")
    assert saved.token == "t2" and saved.live == {"c": ("3", "e")}
    assert saved.by_id == {"1": "a", "2": "b", "3": "c"}


async def test_what_was_saved_is_there_after_reopening(opener: Opener) -> None:
    first = opener()
    await first.save("site", "staff", "t1", [("1", "000123", "e", True)])
    await first.close()
    again = opener()
    assert (await again.load("site", "staff")).live == {"000123": ("1", "e")}
    await again.close()


async def test_closing_twice_is_harmless(opener: Opener) -> None:
    index = opener()
    await index.close()
    await index.close()
