"""The loop that closes the FAQ's recall gap: a "did you mean" pick becomes, after the DX
division's review, an alternate question, and the next person who words it so gets the answer."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from bot.faq.alternates import review
from bot.faq.entry import seed_entries
from bot.faq.importer import read_faq_file
from bot.faq.text import Synonyms
from bot.outbox import OutboxWorker
from bot.questions import Pick, QuestionLog
from bot.state import MemoryBotState
from liststore import open_store
from tests.bot.conftest import RunningBot, answered_with, ask, questions

NICKNAME = "ミライ会議室を新しく作りたい"  # a city's own name for a Teams team: no model can know it


def dx_bot(bot: RunningBot, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DX_STORE": "sqlite", "DX_DATA_DIR": str(bot.settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env)


async def pick(bot: RunningBot, asked: str, faq_id: str, user: str) -> None:
    """A person picks `faq_id` from a "did you mean" card for `asked`, recorded by the code the
    bot records it with (bot/questions.py) into the same Questions list."""
    async with open_store(bot.settings) as store:
        state = MemoryBotState()
        log = QuestionLog(store, state)
        offered = await log.offered(f"aad-{user}", asked, [faq_id], 0.3)
        await log.chosen(offered, faq_id)
        assert await OutboxWorker(state.outbox, log.handlers()).run_once() == 1


async def test_a_picked_wording_becomes_an_alternate_after_review_and_is_then_answered(
        bot: RunningBot, tmp_path) -> None:
    assert answered_with(await ask(bot, NICKNAME)) is None  # the bot is unsure, as in real life
    await pick(bot, NICKNAME, "FAQ-0014", "user-1")
    await pick(bot, f"お疲れ様です。{NICKNAME}", "FAQ-0014", "user-2")  # the same wording, with a greeting
    await pick(bot, "受講履歴を見たい", "FAQ-0025", "user-3")  # already one of the entry's alternates
    await pick(bot, "締め切り", "FAQ-0024", "user-4")  # two people, two entries: a person must decide
    await pick(bot, "締め切り", "FAQ-0026", "user-5")

    suggestions = tmp_path / "alternates.xlsx"
    done = dx_bot(bot, "faq", "alternates", str(suggestions))
    assert done.returncode == 0, done.stderr
    assert f"FAQ-0014 Teamsで新しいチームを作りたい\n  + {NICKNAME}\n" in done.stdout
    assert "picked for different entries, not suggested: 締め切り" in done.stdout
    assert "1 marked FAQ化" in done.stdout
    [entry], errors = read_faq_file(suggestions)
    seed = {e.faq_id: e for e in seed_entries()}["FAQ-0014"]
    assert errors == [] and entry.faq_id == "FAQ-0014"
    assert entry.alternate_questions == (*seed.alternate_questions, NICKNAME)  # once, greeting dropped
    assert (entry.question, entry.answer) == (seed.question, seed.answer)

    imported = dx_bot(bot, "faq", "import", str(suggestions), "--merge")
    assert imported.returncode == 0 and "1 written, 0 removed" in imported.stdout, imported.stderr
    for _ in range(50):  # the bot rereads the FAQ list every 0.2 s in these tests
        if answered_with(await ask(bot, NICKNAME)) == "FAQ-0014":
            break
        await asyncio.sleep(0.1)
    assert answered_with(bot.connector.fake.cards()[-1]) == "FAQ-0014"

    # Run again: both picks of the imported wording are now FAQ化, and nothing new is suggested.
    again = dx_bot(bot, "faq", "alternates", str(tmp_path / "again.csv"))
    assert again.returncode == 0 and "2 marked FAQ化" in again.stdout
    assert "no new alternates" in again.stdout and not (tmp_path / "again.csv").exists()
    statuses = {(q["QuestionText"], q["Status"]) for q in await questions(bot) if q.get("Feedback") == "候補から選択"}
    assert statuses == {(NICKNAME, "FAQ化"), (f"お疲れ様です。{NICKNAME}", "FAQ化"), ("受講履歴を見たい", "FAQ化"),
                        ("締め切り", "クローズ")}


def test_picks_of_missing_entries_and_whole_messages_are_not_suggested() -> None:
    entries = seed_entries()
    long_message = "研修の件で" + "いろいろと" * 30 + "困っています"
    found = review(entries, [Pick("Q-1", "リーダー研修の日程表", "FAQ-9999"),  # entry deleted since
                             Pick("Q-2", long_message, "FAQ-0027"),
                             Pick("Q-3", "  ", "FAQ-0027"),
                             Pick("Q-4", "ＤＸリーダー研修の時間数", "FAQ-0027"),
                             Pick("Q-5", "DXリーダー研修の時間数", "FAQ-0027"),  # width folds to the same
                             Pick("Q-6", "研修と仕事の両立", "FAQ-0027")], Synonyms.load())
    assert found.skipped == 3 and found.promoted == [] and found.conflicting == []
    [(entry, wordings)] = found.suggested
    # Most-picked first, spelled as the first person typed it.
    assert entry.faq_id == "FAQ-0027" and wordings == ("ＤＸリーダー研修の時間数", "研修と仕事の両立")
