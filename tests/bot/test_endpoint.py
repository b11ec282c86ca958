"""Real Teams activity JSON through the real CloudAdapter; replies read from a fake Bot Connector."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from bot.faq.entry import FaqEntry
from liststore import Upsert, open_store
from tests.bot import activities as a
from tests.bot.conftest import (
    RunningBot,
    action_data,
    answered_with,
    ask,
    press,
    questions,
    running_bot,
    wait_for_replies,
)
from tests.fakes.bot_connector import RunningConnector


async def send_to_person(bot: RunningBot, question: str) -> dict:
    """Ask something the FAQ cannot answer, press 「担当者に聞く」 and send it as it is; the card
    the bot answers with."""
    card = await ask(bot, question)
    confirm = (await (await press(bot, card["actions"][0]["data"])).json())["value"]
    sent = await press(bot, {**action_data(confirm, "question.send"), "question": question})
    return (await sent.json())["value"]


async def test_a_personal_question_gets_an_answer_card_in_reply(bot: RunningBot) -> None:
    activity = a.personal_message(bot.connector.service_url, "ﾊﾟﾜｰｱｯﾌﾟｽで作ったアプリを同僚にも使ってもらいたい")
    response = await bot.post(activity)
    assert response.status == 200
    [reply] = await wait_for_replies(bot, 1)
    assert reply["_conversation"] == activity["conversation"]["id"]
    assert reply["_reply_to"] == activity["id"]  # Bot Connector's reply-to-activity route
    assert reply["replyToId"] == activity["id"]
    [card] = bot.connector.fake.cards()
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert "共有" in card["body"][-1]["text"]
    titles = [act["title"] for act in card["actions"]]
    assert titles[-2:] == ["役に立った", "解決しない"]
    assert card["actions"][0]["type"] == "Action.OpenUrl"  # FAQ-0001 has a source link


async def test_a_channel_message_is_answered_only_when_the_bot_is_mentioned(bot: RunningBot) -> None:
    ignored = await bot.post(a.channel_message(bot.connector.service_url, "会議を録画したい", mention=False))
    assert ignored.status == 200
    answered = await bot.post(a.channel_message(bot.connector.service_url, "チームズの会議を録画するには"))
    assert answered.status == 200
    replies = await wait_for_replies(bot, 1)
    await asyncio.sleep(0.1)
    assert len(replies) == 1
    [card] = bot.connector.fake.cards()
    assert "録画" in json.dumps(card, ensure_ascii=False)


async def test_help_and_english_locale(bot: RunningBot) -> None:
    await bot.post(a.personal_message(bot.connector.service_url, "ＨＥＬＰ"))
    await bot.post(a.personal_message(bot.connector.service_url, "help", locale="en-US"))
    await wait_for_replies(bot, 2)
    ja, en = bot.connector.fake.cards()
    assert ja["body"][0]["text"] == "使い方"
    assert en["body"][0]["text"] == "How to use"


async def test_asking_who_the_bot_is_gets_the_introduction(bot: RunningBot) -> None:
    await bot.post(a.personal_message(bot.connector.service_url, "あなたは誰？"))
    await wait_for_replies(bot, 1)
    [card] = bot.connector.fake.cards()
    assert card["body"][0]["text"] == "DXコミュニティボットです"


async def test_one_install_sends_the_welcome_card_once(bot: RunningBot) -> None:
    url = bot.connector.service_url
    # Teams announces a personal install twice: installationUpdate and the bot in membersAdded.
    assert (await bot.post(a.installation_update(url))).status == 200
    assert (await bot.post(a.members_added(url, ["29:someone-else"], kind="channel"))).status == 200
    assert (await bot.post(a.members_added(url, [a.BOT_ID]))).status == 200
    await wait_for_replies(bot, 1)
    await asyncio.sleep(0.2)
    cards = bot.connector.fake.cards()
    assert len(cards) == 1 and cards[0]["body"][0]["text"] == "DXコミュニティボットです"
    # Added to a team: its own welcome.
    assert (await bot.post(a.members_added(url, [a.BOT_ID], kind="channel"))).status == 200
    await wait_for_replies(bot, 2)
    assert len(bot.connector.fake.cards()) == 2


async def test_feedback_invoke_answers_in_the_http_body_and_is_recorded(bot: RunningBot) -> None:
    """botbuilder 4.17.1 answers 500 to every invoke with a body; ours answers 200 once-serialised."""
    card = await ask(bot, "会議を録画したい")
    assert answered_with(card) == "FAQ-0015"
    response = await press(bot, action_data(card, "faq.feedback", 0))
    assert response.status == 200
    body = await response.json()
    # The answer card comes back, updated in place to show the choice (pressing again changes it).
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    updated = body["value"]
    rated = "評価「役に立った」を記録しました。ありがとうございます。押し直すと変えられます。"
    assert updated["body"][-1]["text"] == rated
    assert [a["data"] for a in updated["actions"] if a.get("verb") == "faq.feedback"] == \
        [a["data"] for a in card["actions"] if a.get("verb") == "faq.feedback"]
    [record] = await questions(bot, 1)
    assert record["Feedback"] == "役に立った" and record["FaqId"] == "FAQ-0015"
    assert record["Status"] == "クローズ" and record["AskedBy"] == "aad-user-1"
    assert record["QuestionText"] == "会議を録画したい" and record["MatchScore"] > 0.5


async def test_what_a_card_action_claims_is_ignored_for_what_the_bot_remembers(bot: RunningBot) -> None:
    card = await ask(bot, "会議を録画したい")
    # A card edited by hand: another entry, another question, a perfect score.
    forged = {**action_data(card, "faq.feedback", 1), "faqId": "FAQ-0001", "asked": "粗大ごみの出し方",
              "score": 1.0, "questionId": "Q-20260101-AAAAAA"}
    assert (await press(bot, forged)).status == 200
    [record] = await questions(bot, 1)
    assert (record["FaqId"], record["QuestionText"]) == ("FAQ-0015", "会議を録画したい")
    assert record["MatchScore"] < 1.0 and record["key"] != "Q-20260101-AAAAAA"
    # A card id the bot never sent is an expired card, not a record.
    unknown = {**action_data(card, "faq.feedback", 0), "cardId": "A" * 16}
    assert (await (await press(bot, unknown)).json())["value"].startswith("このカードは")


async def test_a_change_of_mind_updates_the_one_record_of_that_answer(bot: RunningBot) -> None:
    card = await ask(bot, "会議を録画したい")
    await press(bot, action_data(card, "faq.feedback", 0))  # 役に立った
    await press(bot, action_data(card, "faq.feedback", 1))  # no: 解決しない
    [record] = await questions(bot, 1, where=lambda items: items[0]["Feedback"] == "解決しない")
    assert record["Feedback"] == "解決しない" and record["Status"] == "未回答"


async def test_choosing_from_did_you_mean_replaces_the_card_with_the_answer(bot: RunningBot) -> None:
    card = await ask(bot, "会議")  # one word: a "did you mean", with words or with meaning
    assert answered_with(card) is None
    offered = [b["text"].split(". ", 1)[1] for b in card["body"][1:]]  # the full questions, numbered
    assert [act["title"] for act in card["actions"] if act.get("verb") == "faq.choose"] == [
        f"{n} を見る" for n in range(1, len(offered) + 1)]
    choice = len(offered) - 1
    response = await press(bot, action_data(card, "faq.choose", choice))
    assert response.status == 200
    body = await response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["version"] == "1.5"
    chosen = answered_with(body["value"])
    assert chosen is not None and offered[choice] in json.dumps(body["value"], ensure_ascii=False)
    # The choice is kept: the wording is a ready-made alternate question for that entry.
    [record] = await questions(bot, 1)
    assert (record["Feedback"], record["FaqId"]) == ("候補から選択", chosen)
    assert record["QuestionText"] == "会議"
    assert record["Status"] == "クローズ" and record["MatchScore"] is None
    # A place among the candidates that the card never offered is an expired card.
    beyond = {**action_data(card, "faq.choose", 0), "choice": len(offered)}
    assert (await (await press(bot, beyond)).json())["value"].startswith("このカードは")


async def test_an_unanswerable_question_is_recorded_and_can_go_to_a_person(bot: RunningBot) -> None:
    card = await ask(bot, "粗大ごみの出し方を教えて")
    assert "見つかりませんでした" in card["body"][0]["text"]
    escalate = card["actions"][0]
    assert escalate["title"] == "担当者に聞く"
    [record] = await questions(bot, 1)
    assert record["Status"] == "未回答" and record["QuestionText"] == "粗大ごみの出し方を教えて"
    response = await press(bot, escalate["data"])
    assert response.status == 200
    confirm = (await response.json())["value"]  # first the question, to confirm or edit
    assert confirm["body"][1]["value"] == "粗大ごみの出し方を教えて"
    empty = await press(bot, {**action_data(confirm, "question.send"), "question": "  "})
    assert "質問を入力してください。" in [b.get("text") for b in (await empty.json())["value"]["body"]]
    sent = await press(bot, {**action_data(confirm, "question.send"), "question": "粗大ごみを出す日を知りたい"})
    card = (await sent.json())["value"]
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert card["body"][0]["text"] == "担当者に届けました" and facts["受付番号"] == record["key"]
    assert card["body"][2]["text"] == "3営業日以内を目安に、このチャットで回答をお知らせします。"
    [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] != "未回答")
    assert (record["Status"], record["QuestionText"]) == ("回答待ち", "粗大ごみを出す日を知りたい")
    assert record["AskerName"] == "山田 花子"  # who asked, by name, not only an object id


async def test_conversation_references_are_stored_for_proactive_messages(bot: RunningBot) -> None:
    from bot.conversations import SqliteConversationStore

    await bot.post(a.personal_message(bot.connector.service_url, "こんにちは", user="user-9"))
    await wait_for_replies(bot, 1)
    assert bot.connector.fake.texts()[0].startswith("こんにちは")
    store = SqliteConversationStore(Path(bot.settings.data_dir) / "bot-state.sqlite3")
    [ref] = await store.of_user("aad-user-9")
    await store.close()
    assert ref.service_url == bot.connector.service_url
    assert ref.conversation_id == "a:personal-user-9" and ref.bot_id == a.BOT_ID and ref.user_id == "29:user-9"


@pytest.mark.parametrize("body, content_type", [
    (b"not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (json.dumps({"type": "message", "text": "x"}).encode(), "application/json"),  # no serviceUrl etc.
    (json.dumps({"type": "message", "serviceUrl": "javascript:alert(1)", "conversation": {"id": "c"},
                 "from": {"id": "u"}}).encode(), "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"type=message", "application/x-www-form-urlencoded"),
])
async def test_malformed_activities_are_400(bot: RunningBot, body: bytes, content_type: str) -> None:
    response = await bot.http.post(f"{bot.url}/api/messages", data=body, headers={"Content-Type": content_type})
    assert response.status == 400
    assert (await response.json())["error"]["code"]


async def test_an_oversized_activity_is_400(bot: RunningBot) -> None:
    activity = a.personal_message(bot.connector.service_url, "あ" * 200_000)
    response = await bot.post(activity)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "TooLarge"


@pytest.mark.parametrize("service_url", ["https://smba.trafficmanager.net/jp/", "http://10.0.0.5:8080/",
                                         "http://169.254.169.254/latest/", "http://127.0.0.1.evil.example/"])
async def test_local_mode_replies_only_to_loopback(bot: RunningBot, service_url: str) -> None:
    """Without an app id nothing is signed, so a reply address off this machine is refused."""
    response = await bot.post(a.personal_message(service_url, "パスワードを忘れた"))
    assert response.status == 403
    assert "DX_BOT_APP_ID" in (await response.json())["error"]["message"]
    local = bot.connector.service_url.replace("127.0.0.1", "localhost")
    assert (await bot.post(a.personal_message(local, "パスワードを忘れた"))).status == 200


@pytest.mark.parametrize("service_url", [
    "http://evil.example.com\\@127.0.0.1/",      # the stdlib sees 127.0.0.1, urllib3 evil.example.com
    "http://evil.example.com\\\\@127.0.0.1:3978/",
    "http://127.0.0.1@evil.example.com/",
    "http://127.0.0.1:1@evil.example.com/",
    "http://evil.example.com#@127.0.0.1/",
    "http://evil.example.com?@127.0.0.1/",
    "http://127.0.0.1%2f@evil.example.com/",
    "http://127.0.0.1\t.evil.example.com/",
    "http://１２７.０.０.１/",
    "http://localhost.evil.example.com/",
    "http://[::1]@evil.example.com/",
])
async def test_look_alike_loopback_urls_are_refused(bot: RunningBot, service_url: str) -> None:
    response = await bot.post(a.personal_message(service_url, "パスワードを忘れた"))
    assert response.status in (400, 403), service_url
    await asyncio.sleep(0.05)
    assert bot.connector.fake.replies == []


async def test_card_data_the_bot_never_rendered_is_400(bot: RunningBot) -> None:
    url = bot.connector.service_url
    assert (await bot.post(a.card_invoke(url, "faq.feedback", {"faqId": "FAQ-0001", "helpful": True}))).status == 400
    assert (await bot.post(a.card_invoke(url, "no.such.verb", {}))).status == 400
    assert (await bot.post(a.card_invoke(url, "question.escalate", {"cardId": "../etc"}))).status == 400
    assert (await bot.post(a.card_invoke(url, "faq.choose", {"cardId": "A" * 16, "choice": -1}))).status == 400


async def test_an_unexpected_error_gets_a_kind_message_with_a_correlation_id(
        tmp_path: Path, connector: RunningConnector, caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(tmp_path, connector) as bot:
        # The bot's state file loses a table under it (another process, a restore gone wrong):
        # remembering the card it is about to send fails.
        with sqlite3.connect(tmp_path / "var" / "bot-state.sqlite3") as db:
            db.execute("DROP TABLE sent_cards")
        question = "粗大ごみの出し方を教えて"
        response = await bot.post(a.personal_message(connector.service_url, question))
        assert response.status == 200
        [reply] = await wait_for_replies(bot, 1)
    assert reply["text"].startswith("申し訳ありません")
    correlation_id = reply["text"].rsplit("：", 1)[1]
    logged = [r for r in caplog.records if "turn failed" in r.getMessage()]
    assert logged and correlation_id in logged[0].getMessage()
    assert all(question not in r.getMessage() for r in caplog.records)  # never the text itself


async def test_the_bot_picks_up_an_edit_of_the_faq_list(bot: RunningBot) -> None:
    from bot.faq.entry import FaqEntry
    from bot.faq.importer import import_entries

    question = "庁内Wi-Fiのパスコードを知りたい"
    new = FaqEntry("FAQ-0100", "庁内Wi-Fiに接続するには？", ("Wi-Fiのパスコードはどこ？",),
                   "庁内Wi-Fi の接続方法は情報政策課のポータルに掲載しています。", "その他", "wifi", None)
    async with open_store(bot.settings) as store:
        await import_entries(store, [new], replace=False)
    for _ in range(50):  # the bot rereads the list every 0.2 s in these tests
        async with bot.http.get(f"{bot.url}/healthz") as response:
            if (await response.json())["faq_entries"] == 46:
                break
        await asyncio.sleep(0.1)
    await bot.post(a.personal_message(bot.connector.service_url, question))
    await wait_for_replies(bot, 1)
    [card] = bot.connector.fake.cards()
    assert answered_with(card, [new]) == "FAQ-0100"


async def test_the_bot_answers_from_words_at_once_and_adds_meaning_in_the_background(bot: RunningBot) -> None:
    states = []
    for _ in range(100):
        async with bot.http.get(f"{bot.url}/healthz") as response:
            states.append((await response.json())["faq_index"])
        if states[-1] == "meaning":
            break
        await asyncio.sleep(0.1)
    assert states[-1] == "meaning" and set(states) <= {"words", "meaning"}
    await bot.post(a.personal_message(bot.connector.service_url, "パスワードを忘れてしまいました"))
    await wait_for_replies(bot, 1)
    [card] = bot.connector.fake.cards()
    assert answered_with(card) == "FAQ-0035"


async def test_a_question_the_list_cannot_take_yet_is_recorded_once_it_can_even_after_a_restart(
        tmp_path: Path, connector: RunningConnector, caplog: pytest.LogCaptureFixture) -> None:
    question = "粗大ごみの出し方を教えて"
    # The Questions list is not there yet (not provisioned, or SharePoint down).
    async with running_bot(tmp_path, connector, skip_lists=("Questions",)) as bot:
        card = await ask(bot, question)
        assert "見つかりませんでした" in card["body"][0]["text"]  # the person is answered all the same
        confirm = (await (await press(bot, card["actions"][0]["data"])).json())["value"]
        sent = await press(bot, {**action_data(confirm, "question.send"), "question": question})
        assert (await sent.json())["value"]["body"][1]["facts"][0]["value"].startswith("Q-")
        await asyncio.sleep(0.3)  # several delivery attempts fail meanwhile
    # The bot stops with the record undelivered; the list is provisioned; the bot starts again.
    async with running_bot(tmp_path, connector) as bot:
        items = await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
    assert [(i["QuestionText"], i["Status"]) for i in items] == [(question, "回答待ち")]
    assert all(question not in r.getMessage() for r in caplog.records)  # never the question text


@pytest.mark.parametrize("opener", ["お疲れ様です", "お疲れさまです。よろしくお願いします！", "すみません"])
async def test_a_workplace_opener_is_greeted_not_taken_for_an_unanswered_question(bot: RunningBot, opener: str) -> None:
    await bot.post(a.personal_message(bot.connector.service_url, opener))
    await wait_for_replies(bot, 1)
    assert bot.connector.fake.texts() == [
        "お疲れさまです。DX に関する質問をどうぞ。「ヘルプ」と送ると使い方を表示します。"]
    assert await questions(bot) == []


async def test_an_app_upgrade_is_not_welcomed_as_an_install(bot: RunningBot) -> None:
    upgrade = a.installation_update(bot.connector.service_url, user="user-8")
    upgrade["action"] = "add-upgrade"
    assert (await bot.post(upgrade)).status == 200
    await asyncio.sleep(0.2)
    assert bot.connector.fake.replies == []


async def test_only_the_asker_can_press_the_buttons_of_their_answer(bot: RunningBot) -> None:
    await bot.post(a.channel_message(bot.connector.service_url, "会議を録画したい", user="user-2"))
    await wait_for_replies(bot, 1)
    [card] = bot.connector.fake.cards()
    refused = await press(bot, action_data(card, "faq.feedback", 1), user="user-3")
    assert (await refused.json())["value"].startswith("このボタンは質問した方のためのものです")
    thanked = await press(bot, action_data(card, "faq.feedback", 0), user="user-2")
    assert (await thanked.json())["value"]["body"][-1]["text"].startswith("評価「役に立った」を記録しました")
    [record] = await questions(bot, 1)
    assert record["AskedBy"] == "aad-user-2" and record["Feedback"] == "役に立った"


async def test_a_later_click_never_undoes_a_question_sent_to_a_person(bot: RunningBot) -> None:
    card = await ask(bot, "会議を録画したい")
    await press(bot, action_data(card, "faq.feedback", 1))  # 解決しない → a no-answer card follows
    await wait_for_replies(bot, 2)
    follow_up = bot.connector.fake.cards()[-1]
    confirm = (await (await press(bot, action_data(follow_up, "question.escalate"))).json())["value"]
    await press(bot, {**action_data(confirm, "question.send"), "question": "会議を録画したい"})
    await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
    await press(bot, action_data(card, "faq.feedback", 0))  # a change of mind: 役に立った after all
    [record] = await questions(bot, 1, where=lambda items: items[0]["Feedback"] == "役に立った")
    assert record["Status"] == "回答待ち"  # the person's question stays with the division


async def test_a_did_you_mean_card_keeps_one_record_of_the_latest_choice(bot: RunningBot) -> None:
    card = await ask(bot, "会議")
    await press(bot, action_data(card, "faq.choose", 0))
    [first] = await questions(bot, 1)
    await press(bot, action_data(card, "faq.choose", 1))  # another entry after all
    [record] = await questions(bot, 1, where=lambda items: items[0]["FaqId"] != first["FaqId"])
    assert record["key"] == first["key"] and record["Feedback"] == "候補から選択"
    assert record["FaqId"] != first["FaqId"]
    await press(bot, action_data(card, "faq.none"))  # none of them, in the end
    [record] = await questions(bot, 1, where=lambda items: items[0]["Feedback"] is None)
    assert record["key"] == first["key"] and (record["Feedback"], record["Status"]) == (None, "未回答")


async def test_personal_data_in_a_question_is_masked_in_the_questions_list(bot: RunningBot) -> None:
    card = await ask(bot, "076-220-2111 と hanako@city.example.jp に連絡したが粗大ごみの件が分からない")
    assert "見つかりませんでした" in card["body"][0]["text"]
    [record] = await questions(bot, 1)
    assert record["QuestionText"] == "［電話番号］ と ［メールアドレス］ に連絡したが粗大ごみの件が分からない"
    assert "076" not in record["Title"]


async def test_after_an_unhelpful_answer_the_bot_does_not_claim_the_faq_had_none(bot: RunningBot) -> None:
    card = await ask(bot, "会議を録画したい")
    response = await press(bot, action_data(card, "faq.feedback", 1))
    updated = (await response.json())["value"]
    assert updated["body"][-1]["text"].startswith("評価「解決しない」を記録しました")
    await wait_for_replies(bot, 2)
    follow_up = bot.connector.fake.cards()[-1]
    texts = [b["text"] for b in follow_up["body"]]
    sorry = "この回答では解決せず、申し訳ありません。下のボタンで デジタル行政戦略課の担当者に質問を届けられます。"
    assert texts == [sorry]
    assert not any("見つかりませんでした" in t for t in texts)
    assert follow_up["actions"][0]["title"] == "担当者に聞く"


async def test_a_question_sent_to_a_person_reaches_the_experts_channel_masked(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": {"id": "29:user-1", "name": "山田 花子", "aadObjectId": "aad-user-1",
                                            "email": "hanako.yamada@city.example.jp"}}
    channel = "19:dx-experts@thread.tacv2"
    async with running_bot(tmp_path, connector, expert_channel_id=channel) as bot:
        async with open_store(bot.settings) as store:
            hanako = {"Title": "山田 花子", "Email": "hanako.yamada@city.example.jp", "Section": "情報政策課",
                      "Bureau": "総務局", "IsActive": True}
            await store.upsert("Staff", [Upsert("001234", hanako)])
        card = await ask(bot, "粗大ごみの出し方を教えて")
        confirm = (await (await press(bot, card["actions"][0]["data"])).json())["value"]
        edited = "粗大ごみの件で 076-220-2111 に電話したがつながらない。どこに聞けばよい？"
        await press(bot, {**action_data(confirm, "question.send"), "question": edited})
        for _ in range(250):
            posted = [r for r in connector.fake.replies if r["_conversation"] == channel]
            if posted:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        again = await press(bot, {**action_data(confirm, "question.send"), "question": edited})  # pressed twice
        assert (await again.json())["value"]["body"][0]["text"] == "担当者に届けました"
        await asyncio.sleep(0.3)
    [post] = [r for r in connector.fake.replies if r["_conversation"] == channel]  # one ticket, not two
    ticket = post["attachments"][0]["content"]
    texts = [b.get("text") for b in ticket["body"]]
    assert "粗大ごみの件で ［電話番号］ に電話したがつながらない。どこに聞けばよい？" in texts
    facts = {f["title"]: f["value"] for f in ticket["body"][3]["facts"]}
    assert facts["質問者"] == "山田 花子・情報政策課・総務局"


async def test_an_answer_written_in_the_list_reaches_the_asker_once(
        tmp_path: Path, connector: RunningConnector) -> None:
    async with running_bot(tmp_path, connector) as bot:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
        await asyncio.sleep(0.3)  # the watcher has seen the list as it is: nothing to tell yet
        async with open_store(bot.settings) as store:  # the division answers in the list
            await store.upsert("Questions", [Upsert(record["key"], {
                "Answer": "粗大ごみは環境政策課の受付センターへ電話で申し込みます。", "AnsweredBy": "佐藤（DX推進）",
                "Status": "回答済み"})])
        for _ in range(250):
            told = [r for r in connector.fake.replies if r["_reply_to"] is None]
            if told:
                break
            await asyncio.sleep(0.02)
        [message] = told
        answer = message["attachments"][0]["content"]
        assert answer["body"][0]["text"] == "担当者から回答が届きました"
        assert answer["body"][2]["text"] == "粗大ごみは環境政策課の受付センターへ電話で申し込みます。"
        unsolved = await press(bot, action_data(answer, "answer.unsolved"))
        assert (await unsolved.json())["value"].startswith("「まだ解決しない」と伝えました")
        [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
        assert record["Status"] == "回答待ち"  # reopened for the division
        await press(bot, action_data(answer, "answer.solved"))
        [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "クローズ")
        assert record["Status"] == "クローズ"
    async with running_bot(tmp_path, connector) as bot:  # a restart tells nothing twice
        await asyncio.sleep(0.4)
    assert len([r for r in connector.fake.replies if r["_reply_to"] is None]) == 1


async def test_an_expert_takes_and_answers_a_question_in_its_card_and_the_asker_gets_it(
        tmp_path: Path, connector: RunningConnector) -> None:
    from tests.fakes.graph_fake import serve_graph_fake

    channel = "19:dx-experts@thread.tacv2"
    async with serve_graph_fake(tmp_path / "graph") as graph:
        graph.fake.add_user("aad-user-5", None, "expert@city.example.jp")
        graph.fake.add_user("aad-user-3", None, "someone@city.example.jp")
        graph.fake.groups = {"g-experts": {"displayName": "DX相談員", "members": {"aad-user-5"}}}
        creds = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()
                 if k not in ("DX_STORE", "DX_SITE_URL")}
        connector.fake.members = {"29:user-5": {"id": "29:user-5", "name": "佐藤 相談員", "aadObjectId": "aad-user-5"}}
        async with running_bot(tmp_path, connector, expert_channel_id=channel, expert_group_ids="g-experts",
                               **creds) as bot:
            await send_to_person(bot, "粗大ごみの出し方を教えて")
            for _ in range(250):
                posted = [r for r in connector.fake.replies if r["_conversation"] == channel]
                if posted:
                    break
                await asyncio.sleep(0.02)
            ticket = posted[0]["attachments"][0]["content"]
            assert ticket["actions"] == []  # what everyone sees first; the refresh gives experts buttons
            refresh = ticket["refresh"]["action"]["data"]
            stranger = await press(bot, refresh, user="user-3")
            assert (await stranger.json())["value"] == "この質問は、質問者と回答担当者だけが見られます。"
            mine = (await (await press(bot, refresh, user="user-5")).json())["value"]
            assert [a["title"] for a in mine["actions"]] == ["回答する", "解決済みにする", "担当する"]
            take = next(a["data"] for a in mine["actions"] if a["data"]["do"] == "take")
            taken = (await (await press(bot, take, user="user-5")).json())["value"]
            facts = {f["title"]: f["value"] for f in taken["body"][3]["facts"]}
            assert facts["担当"].startswith("佐藤 相談員（")
            forged = {**take, "do": "answer", "answer": "偽の回答"}
            assert (await (await press(bot, forged, user="user-3")).json())["value"] == \
                "この操作は回答担当者だけが行えます。"
            send = next(a["data"] for a in taken["actions"] if a["data"]["do"] == "answer")
            empty = (await (await press(bot, send, user="user-5")).json())["value"]
            assert "回答を入力してください。質問者にそのまま届きます。" in [b.get("text") for b in empty["body"]]
            answered = (await (await press(bot, {**send, "answer": "環境政策課の受付センターへ電話してください。"},
                                           user="user-5")).json())["value"]
            assert {f["title"]: f["value"] for f in answered["body"][3]["facts"]}["状態"] == "回答済み"
            for _ in range(250):  # the asker receives the answer in their chat
                told = [r for r in connector.fake.replies
                        if r["_reply_to"] is None and r["_conversation"] == "a:personal-user-1"]
                if told:
                    break
                await asyncio.sleep(0.02)
            [message] = told
            body = message["attachments"][0]["content"]["body"]
            assert body[2]["text"] == "環境政策課の受付センターへ電話してください。"
            [record] = await questions(bot, 1)
            assert (record["AnsweredBy"], record["AssignedTo"]) == ("佐藤 相談員", "佐藤 相談員")

            # Promote: a draft FAQ entry the bot does not answer with until it is published.
            promote = next(a["data"] for a in answered["actions"] if a["data"]["do"] == "promote")
            drafted = (await (await press(bot, promote, user="user-5")).json())["value"]
            notice = next(b["text"] for b in drafted["body"] if b.get("color") == "Attention")
            assert notice.startswith("FAQ の下書き FAQ-0046 を作りました")
            twice = (await (await press(bot, promote, user="user-5")).json())["value"]  # a double press
            assert "ほかの人がこの質問を更新しました" in next(b["text"] for b in twice["body"] if b.get("color"))
            stale = (await (await press(bot, {**send, "answer": "古いカードから"}, user="user-5")).json())["value"]
            assert "ほかの人がこの質問を更新しました" in next(b["text"] for b in stale["body"] if b.get("color"))
            # The asker's later word never undoes what the division made of the question.
            await press(bot, action_data(message["attachments"][0]["content"], "answer.unsolved"))
            async with open_store(bot.settings) as store:
                draft = await store.get("FAQ", "FAQ-0046")
            assert draft is not None and draft.fields["IsPublished"] is False
            assert draft.fields["Answer"] == "環境政策課の受付センターへ電話してください。"
            promoted = [FaqEntry("FAQ-0046", "粗大ごみの出し方を教えて", (), "", None, None, None)]
            await asyncio.sleep(0.5)  # a refresh of the FAQ: a draft is not answered with
            assert answered_with(await ask(bot, "粗大ごみの出し方を教えて", user="user-6"), promoted) is None
            publish = next(a["data"] for a in drafted["actions"] if a["data"]["do"] == "publish")
            await press(bot, publish, user="user-5")
            for _ in range(60):  # the bot rereads the FAQ list every 0.2 s in these tests
                reply = await ask(bot, "粗大ごみの出し方を教えて", user="user-7")
                if answered_with(reply, promoted):
                    break
                await asyncio.sleep(0.1)
            assert reply["body"][-1]["text"] == "環境政策課の受付センターへ電話してください。"
            promoted_key = record["key"]
            items = await questions(bot, 1)
    [record] = [i for i in items if i["key"] == promoted_key]
    assert (record["Status"], record["FaqId"]) == ("FAQ化", "FAQ-0046")
    assert record["Answer"] == "環境政策課の受付センターへ電話してください。"  # the stale card changed nothing


async def test_an_answer_the_bot_could_not_deliver_before_a_restart_is_delivered_once_after(
        tmp_path: Path, connector: RunningConnector) -> None:
    async with running_bot(tmp_path, connector) as bot:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
        await asyncio.sleep(0.3)
        connector.fake.throttle = 10_000  # Teams answers 429 to everything for a while
        async with open_store(bot.settings) as store:
            await store.upsert("Questions", [Upsert(record["key"], {"Answer": "受付センターへ電話してください。",
                                                                    "AnsweredBy": "佐藤", "Status": "回答済み"})])
        await asyncio.sleep(0.8)  # the answer is read and tried, and fails
    assert not [r for r in connector.fake.replies if r["_reply_to"] is None]
    connector.fake.throttle = 0
    async with running_bot(tmp_path, connector):  # restarted, Teams answering again
        for _ in range(250):
            told = [r for r in connector.fake.replies if r["_reply_to"] is None]
            if told:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
    [message] = [r for r in connector.fake.replies if r["_reply_to"] is None]  # once
    assert message["attachments"][0]["content"]["body"][2]["text"] == "受付センターへ電話してください。"


async def test_a_question_nobody_takes_is_posted_again_once_and_an_unsettled_answer_is_closed(
        tmp_path: Path, connector: RunningConnector) -> None:
    channel = "19:dx-experts@thread.tacv2"
    # Reminders after about 0.4 s and closing after about 0.9 s, so the test sees both.
    async with running_bot(tmp_path, connector, expert_channel_id=channel, expert_remind_hours=0.4 / 3600,
                           expert_close_days=0.9 / 86400) as bot:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        await asyncio.sleep(1.5)
        posts = [r for r in connector.fake.replies if r["_conversation"] == channel]
        assert len(posts) == 2  # the question, then once again: nobody took it
        again = posts[1]["attachments"][0]["content"]["body"][1]["text"]
        assert again == "まだ担当が決まっていません（再掲）"
        [record] = await questions(bot, 1)
        async with open_store(bot.settings) as store:  # answered; the asker never says whether it helped
            await store.upsert("Questions", [Upsert(record["key"], {
                "Answer": "受付センターへ電話してください。", "AnsweredBy": "佐藤", "Status": "回答済み",
                "AnsweredAt": "2026-01-01T00:00:00Z"})])
        [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "クローズ")
        for _ in range(250):
            notes = [r.get("text") for r in connector.fake.replies if r["_reply_to"] is None and r.get("text")]
            if notes:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
    assert record["Status"] == "クローズ"
    assert len([r for r in connector.fake.replies if r["_conversation"] == channel]) == 2
    [note] = [r["text"] for r in connector.fake.replies if r["_reply_to"] is None and r.get("text")]
    assert note.startswith(f"質問 {record['key']} は、回答から")


async def test_not_solved_puts_the_question_back_in_the_queue(bot: RunningBot) -> None:
    await send_to_person(bot, "粗大ごみの出し方を教えて")
    [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
    await asyncio.sleep(0.3)
    async with open_store(bot.settings) as store:
        await store.upsert("Questions", [Upsert(record["key"], {
            "Answer": "受付センターへ。", "AnsweredBy": "佐藤", "Status": "回答済み", "AssignedTo": "佐藤"})])
    for _ in range(250):
        told = [r for r in bot.connector.fake.replies if r["_reply_to"] is None]
        if told:
            break
        await asyncio.sleep(0.02)
    await press(bot, action_data(told[0]["attachments"][0]["content"], "answer.unsolved"))
    [record] = await questions(bot, 1, where=lambda items: items[0]["Status"] == "回答待ち")
    assert (record["Status"], record["AssignedTo"]) == ("回答待ち", None)  # anyone may take it again


@pytest.mark.parametrize(("question", "topic"), [("台風で明日は休庁になりますか", "災害・休庁"),
                                                 ("育休の手続きを教えてください", "勤務・休暇・給与"),
                                                 ("食堂は何時まで開いていますか", "福利厚生・庁舎")])
async def test_a_question_outside_dx_is_told_where_it_goes_and_is_not_a_gap(
        bot: RunningBot, question: str, topic: str) -> None:
    await bot.post(a.personal_message(bot.connector.service_url, question))
    [reply] = await wait_for_replies(bot, 1)
    assert reply["text"].startswith("このボットは DX（Teams・Power Platform などのツール、研修、業務改善提案）の質問")
    assert f"{topic}のことは" in reply["text"] and not reply.get("attachments")  # no 「担当者に聞く」
    await asyncio.sleep(0.3)
    assert await questions(bot) == []  # not offered to the experts, not a gap in the FAQ


async def test_a_dx_question_that_mentions_leave_is_still_a_dx_question(bot: RunningBot) -> None:
    card = await ask(bot, "休暇申請を Power Apps で作って承認まで回したい")
    assert card["type"] == "AdaptiveCard"  # an answer, a "did you mean" or a no-answer card: DX either way
