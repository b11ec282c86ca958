"""How a conversation reads, through the real endpoint: small talk said in a sentence of its own
is answered in kind and never taken for an unanswered question."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot import activities as a
from tests.bot.conftest import RunningBot, questions, wait_for_replies


async def with_meaning(bot: RunningBot) -> None:
    """Once the bot's FAQ index has meaning (it answers from words while it embeds the FAQ)."""
    for _ in range(200):
        async with bot.http.get(f"{bot.url}/healthz") as response:
            if (await response.json())["faq_index"] == "meaning":
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the FAQ index never had meaning")


async def reply_to(bot: RunningBot, text: str, locale: str = "ja-JP") -> dict:
    before = len(bot.connector.fake.replies)
    await bot.post(a.personal_message(bot.connector.service_url, text, locale=locale))
    return (await wait_for_replies(bot, before + 1))[before]


async def nothing_recorded(bot: RunningBot) -> bool:
    """The Questions list is still empty a while after the turn (the outbox writes after it)."""
    await asyncio.sleep(0.2)
    return await questions(bot) == []


@pytest.mark.parametrize("text", ["このボットって何ができるんですか？", "あなたは誰ですか", "What can you do?",
                                  "このボットでなにが聞けますか"])
async def test_a_question_about_the_bot_gets_its_introduction(bot: RunningBot, text: str) -> None:
    reply = await reply_to(bot, text)
    card = reply["attachments"][0]["content"]
    assert "faq.feedback" not in str(card) and "question.escalate" not in str(card)
    assert card["body"][0]["text"] in ("DXコミュニティボットです", "This is the DX community bot")
    assert await nothing_recorded(bot)


@pytest.mark.parametrize("text", ["ありがとうございました！助かりました", "わかりました、ありがとう",
                                  "本当にありがとうございます。とても助かりました。", "Thank you very much!"])
async def test_thanks_in_a_sentence_or_two_are_answered_in_kind(bot: RunningBot, text: str) -> None:
    reply = await reply_to(bot, text)
    assert reply["text"] in ("どういたしまして。ほかにも気になることがあれば、いつでも聞いてください。",
                             "You're welcome. Ask again any time.")
    assert await nothing_recorded(bot)  # not an unanswered question


@pytest.mark.parametrize(("text", "faq_id"), [("ぱすわーどをわすれてしまいました", "FAQ-0035"),
                                              ("ぱわーあっぷすで作ったアプリを共有したい", "FAQ-0001"),
                                              ("ぱわーあっぷすのあぷりをきょうゆうしたい", "FAQ-0001"),
                                              ("こんにちは。ていあんがさしもどされた", "FAQ-0034")])
async def test_loanwords_typed_in_hiragana_are_read_as_the_faq_writes_them(
        bot: RunningBot, text: str, faq_id: str) -> None:
    from tests.bot.conftest import answered_with

    reply = await reply_to(bot, text)
    assert answered_with(reply["attachments"][0]["content"]) == faq_id


async def test_a_one_word_vague_question_is_asked_back_not_answered(bot: RunningBot) -> None:
    reply = await reply_to(bot, "共有のやり方")
    card = reply["attachments"][0]["content"]
    assert {a.get("verb") for a in card["actions"]} == {"faq.choose", "faq.none"}  # did you mean


async def test_english_questions_reach_the_japanese_answer(bot: RunningBot) -> None:
    """Matched by meaning (the encoder is multilingual). The English help card's own example is
    close to two proposal entries, so it is asked back, yes or no, with the right one."""
    from tests.bot.conftest import action_data, answered_with, press

    await with_meaning(bot)  # an English question is matched by meaning
    reply = await reply_to(bot, "I forgot my password", locale="en-US")
    assert answered_with(reply["attachments"][0]["content"]) == "FAQ-0035"
    reply = await reply_to(bot, "How do I submit an improvement proposal?", locale="en-US")
    card = reply["attachments"][0]["content"]
    assert card["body"][0]["text"] == 'Did you mean: "業務改善提案はどうやって出せばいい"?'
    assert [a["title"] for a in card["actions"]] == ["Yes", "No"]
    yes = await press(bot, action_data(card, "faq.choose"))
    assert answered_with((await yes.json())["value"]) == "FAQ-0031"


@pytest.mark.parametrize(("text", "faq_id"), [("Copilotってアリ？", "FAQ-0040"), ("USBメモリってアリ？", "FAQ-0041"),
                                              ("チームズで録画できる？", "FAQ-0015")])
async def test_casual_endings_are_understood(bot: RunningBot, text: str, faq_id: str) -> None:
    from tests.bot.conftest import answered_with

    reply = await reply_to(bot, text)
    assert answered_with(reply["attachments"][0]["content"]) == faq_id


@pytest.mark.parametrize("text", ["お疲れ様です。ありがとうございました", "ありがとうございます😊", "承知しました",
                                  "ありがと"])
async def test_thanks_with_pleasantries_or_emoji_are_thanks_too(bot: RunningBot, text: str) -> None:
    reply = await reply_to(bot, text)
    assert reply["text"] == "どういたしまして。ほかにも気になることがあれば、いつでも聞いてください。"


@pytest.mark.parametrize("text", ["こんにちはー", "こんにちは😊", "おはよーございます", "こんばんわ",
                                  "おはようございます。本日もよろしくお願いします", "はじめまして、人事課の田中です",
                                  "こんにちは。財政局 税務課の山田と申します"])
async def test_greetings_as_typed_are_greeted_back(bot: RunningBot, text: str) -> None:
    reply = await reply_to(bot, text)
    assert reply["text"].endswith("DX に関する質問をどうぞ。「ヘルプ」と送ると使い方を表示します。"), text
    assert await nothing_recorded(bot)


@pytest.mark.parametrize("text", ["はい", "いいえ", "違います"])
async def test_a_yes_or_no_typed_instead_of_pressed_is_pointed_to_the_buttons(bot: RunningBot, text: str) -> None:
    reply = await reply_to(bot, text)
    assert reply["text"].startswith("カードの「はい」「いいえ」などのボタンで選んでください。")
    assert await nothing_recorded(bot)


@pytest.mark.parametrize("text", ["わかりました。パスワードを忘れました", "助かります、研修の期限は？",
                                  "こんにちは、eラーニングの期限です", "はじめまして、研修はいつです"])
async def test_a_question_after_thanks_is_still_a_question(bot: RunningBot, text: str) -> None:
    reply = await reply_to(bot, text)
    assert reply.get("attachments"), text  # a card from the FAQ, not "you're welcome"
