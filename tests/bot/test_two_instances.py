"""Two bot servers behind one Azure Storage state (DX_STATE_STORE=azure, Azurite), as Teams reaches
a scaled-out bot: a card sent by one instance is acted on through the other, and what a turn
promised is delivered once although both instances run an outbox worker. Each has a data folder
of its own; the lists are one (as the SharePoint lists are), the SQLite store linked into both."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from tests.bot.conftest import action_data, answered_with, ask, press, questions, running_bot
from tests.fakes.azurite import Azurite, unique_prefix
from tests.fakes.bot_connector import RunningConnector


async def test_a_card_sent_by_one_instance_is_answered_by_the_other(
        tmp_path: Path, connector: RunningConnector, azurite: Azurite) -> None:
    shared = {"state_store": "azure", "state_connection_string": azurite.connection_string,
              "state_prefix": unique_prefix()}
    (tmp_path / "var").mkdir()
    (tmp_path / "two" / "var").mkdir(parents=True)
    (tmp_path / "two" / "var" / "lists.sqlite3").symlink_to(tmp_path / "var" / "lists.sqlite3")
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(running_bot(tmp_path, connector, **shared))
        two = await stack.enter_async_context(running_bot(tmp_path / "two", connector, **shared))
        card = await ask(one, "会議を録画したい")
        assert answered_with(card) == "FAQ-0015"
        response = await press(two, action_data(card, "faq.feedback", 0))  # the other instance
        assert response.status == 200
        assert (await response.json())["value"]["body"][-1]["text"].startswith("評価「役に立った」を記録しました")
        [record] = await questions(two, 1, where=lambda items: items[0]["Feedback"] == "役に立った")
        assert (record["FaqId"], record["QuestionText"]) == ("FAQ-0015", "会議を録画したい")
    # Both workers have stopped: still one record of that question.
    assert len(await questions(one, 1)) == 1
    assert not list(tmp_path.rglob("bot-state.sqlite3"))  # nothing was kept beside the data
