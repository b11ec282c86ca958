"""FaqService: a server answers from words at once; meaning is added without blocking it."""

from __future__ import annotations

from pathlib import Path

from bot.faq.encoder import encoder_from
from bot.faq.service import FaqService
from config.settings import load_settings
from liststore import open_store
from tests.bot.conftest import provision


async def test_words_first_then_meaning(tmp_path: Path) -> None:
    settings = load_settings(store="sqlite", data_dir=tmp_path)
    await provision(settings)
    async with open_store(settings) as store:
        server = await FaqService.load(store, encoder_from(settings), words_first=True)
        assert server.mode == "words" and len(server.matcher) == 45
        words_answer = await server.ask("パスワードを忘れてしまいました")
        await server.add_meaning()
        assert server.mode == "meaning" and len(server.matcher) == 45
        meaning_answer = await server.ask("パスワードを忘れてしまいました")
        assert words_answer.faq_id == meaning_answer.faq_id == "FAQ-0035"
        # The command line waits for meaning; with DX_FAQ_ENCODER=none there is none to add.
        assert (await FaqService.load(store, encoder_from(settings))).mode == "meaning"
        words_only = await FaqService.load(store, encoder_from(load_settings(faq_encoder="none")), words_first=True)
        await words_only.add_meaning()
        assert words_only.mode == "words"
