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


PACKAGED = (Path(__file__).resolve().parents[2] / "config" / "faq_synonyms.toml").read_text("utf-8")
DOCUWORKS = '\n[[terms]]\ncanonical = "docuworks"\nvariants = ["ドキュワークス", "ドキュワ"]\n'


async def test_the_divisions_synonym_file_is_used_and_reread_when_it_changes(tmp_path: Path, caplog) -> None:
    from bot.faq.entry import FaqEntry
    from bot.faq.importer import import_entries

    settings = load_settings(store="sqlite", data_dir=tmp_path / "var", faq_encoder="none")
    await provision(settings)
    synonyms = tmp_path / "synonyms.toml"
    synonyms.write_text(PACKAGED, "utf-8")
    question = "ドキュワークスが動かない"  # only the product name ties it to the entry
    async with open_store(settings) as store:
        await import_entries(store, [FaqEntry("FAQ-0200", "DocuWorksの文書が開けない", (),
                                              "ビューアを更新してください。", "その他", None, None)],
                             replace=False)
        faq = await FaqService.load(store, None, synonyms_file=synonyms)
        assert (await faq.ask(question)).candidates[0].faq_id != "FAQ-0200"
        assert not await faq.reload_synonyms()  # unchanged: nothing to do

        synonyms.write_text(PACKAGED + DOCUWORKS, "utf-8")
        assert await faq.reload_synonyms()
        assert (await faq.ask(question)).candidates[0].faq_id == "FAQ-0200"

        # A broken edit is reported with the file's name and the index keeps the last good one.
        synonyms.write_text(PACKAGED + DOCUWORKS + '\n[[terms]]\ncanonical = "x"\nvariants = ["ドキュワ"]\n', "utf-8")
        assert not await faq.reload_synonyms()
        assert (await faq.ask(question)).candidates[0].faq_id == "FAQ-0200"
        assert any("synonyms.toml" in r.getMessage() and "ドキュワ" in r.getMessage() for r in caplog.records)
