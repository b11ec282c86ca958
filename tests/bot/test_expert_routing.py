"""Where a question for a person goes, and every copy of its ticket kept current: real activity
JSON through the real endpoint, the fake Bot Connector (POST and PUT), real SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

from liststore import Upsert, open_store
from tests.bot import activities as a
from tests.bot.conftest import RunningBot, press, questions, running_bot, wait_for_replies
from tests.bot.test_endpoint import send_to_person
from tests.fakes.bot_connector import RunningConnector

CHANNEL = "19:dx-experts@thread.tacv2"
HANAKO = {"Title": "山田 花子", "Email": "hanako.yamada@city.example.jp", "Section": "情報政策課",
          "Bureau": "総務局", "IsActive": True}


def member(user: str, name: str, email: str) -> dict[str, Any]:
    return {"id": f"29:{user}", "name": name, "aadObjectId": f"aad-{user}", "email": email}


def leader(name: str, email: str, section: str = "情報政策課", bureau: str = "総務局",
           status: str = "在籍") -> dict[str, Any]:
    return {"Title": name, "Tier": "デジタル行政推進リーダー", "RosterStatus": status, "Section": section,
            "Bureau": bureau, "Email": email}


async def until(found: Callable[[], list], seconds: float = 5.0) -> list:
    """What `found` gives once it gives something; fails after `seconds` of nothing."""
    for _ in range(int(seconds / 0.02)):
        if result := found():
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"still nothing after {seconds} s")


def facts(card: dict) -> dict[str, str]:
    return {f["title"]: f["value"] for b in card["body"] if b.get("type") == "FactSet" for f in b["facts"]}


def content(activity: dict) -> dict:
    return activity["attachments"][0]["content"]


async def greet(bot: RunningBot, user: str) -> None:
    """`user` talks to the bot once, so it knows their e-mail and can write to them."""
    before = len(bot.connector.fake.replies)
    await bot.post(a.personal_message(bot.connector.service_url, "こんにちは", user=user))
    await wait_for_replies(bot, before + 1)
    await asyncio.sleep(0.2)  # the member lookup runs beside the turn


async def test_every_copy_of_a_ticket_shows_who_holds_it_and_the_answer(
        tmp_path: Path, connector: RunningConnector) -> None:
    from tests.fakes.graph_fake import serve_graph_fake

    async with serve_graph_fake(tmp_path / "graph") as graph:
        graph.fake.add_user("aad-user-5", None, "expert@city.example.jp")
        graph.fake.groups = {"g-experts": {"displayName": "DX相談員", "members": {"aad-user-5"}}}
        creds = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()
                 if k not in ("DX_STORE", "DX_SITE_URL")}
        connector.fake.members = {"29:user-5": member("user-5", "佐藤 相談員", "expert@city.example.jp")}
        async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL, expert_group_ids="g-experts",
                               **creds) as bot:
            await send_to_person(bot, "粗大ごみの出し方を教えて")
            [post] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
            assert facts(content(post))["担当"] == "（未定）"
            mine = (await (await press(bot, content(post)["refresh"]["action"]["data"], user="user-5")).json())["value"]
            take = next(act["data"] for act in mine["actions"] if act["data"]["do"] == "take")
            await press(bot, take, user="user-5")
            # Everyone who opens the channel now sees who holds it, not the card as first posted.
            await until(lambda: connector.fake.updates)
            now = content(connector.fake.latest(post))
            assert facts(now)["担当"].startswith("佐藤 相談員（") and now["actions"] == []
            [record] = await questions(bot, 1)
            async with open_store(bot.settings) as store:  # the division answers in the list instead
                await store.upsert("Questions", [Upsert(record["key"], {
                    "Answer": "環境政策課の受付センターへ電話してください。", "AnsweredBy": "佐藤（DX推進）",
                    "Status": "回答済み"})])
            await until(lambda: [u for u in connector.fake.updates if facts(content(u))["状態"] == "回答済み"])
            now = content(connector.fake.latest(post))
            assert "環境政策課の受付センターへ電話してください。" in [b.get("text") for b in now["body"]]
            updates = len(connector.fake.updates)
            await asyncio.sleep(0.5)  # the list watch sees the same change: no second update of it
            assert len(connector.fake.updates) == updates
    [put] = [u for u in connector.fake.updates if facts(content(u))["状態"] == "回答済み"]
    assert put["_conversation"].startswith(f"{CHANNEL};messageid=") and put["id"] == put["_activity"]


async def test_a_question_goes_first_to_the_leaders_of_the_askers_section(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {
        "29:user-1": member("user-1", "山田 花子", HANAKO["Email"]),
        "29:user-8": member("user-8", "石川 リーダー", "ishikawa@city.example.jp"),
        "29:user-9": member("user-9", "加賀 リーダー", "kaga@city.example.jp"),
        "29:user-7": member("user-7", "能登 元リーダー", "noto@city.example.jp")}
    async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL, expert_route_to_leaders=True,
                           expert_leader_hours=1.5 / 3600) as bot:
        async with open_store(bot.settings) as store:
            await store.upsert("Staff", [Upsert("001234", HANAKO)])
            await store.upsert("LeaderRoster", [
                Upsert("000801", leader("石川 リーダー", "Ishikawa@city.example.jp")),
                # The same section name in another bureau, and a leader who stepped down: not asked.
                Upsert("000901", leader("加賀 リーダー", "kaga@city.example.jp", bureau="都市整備局")),
                Upsert("000701", leader("能登 元リーダー", "noto@city.example.jp", status="退任"))])
        for user in ("user-8", "user-9", "user-7"):
            await greet(bot, user)
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [copy] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-8"
                                      and r.get("attachments")])
        ticket = content(copy)
        assert ticket["body"][1]["text"].startswith("情報政策課の職員からの質問です。")
        assert "1分たってもだれも担当しないときは" in ticket["body"][1]["text"]  # 1.5 s, said in minutes
        assert facts(ticket)["質問者"] == "山田 花子・情報政策課・総務局"
        await asyncio.sleep(0.3)
        assert not [r for r in connector.fake.replies if r["_conversation"] == CHANNEL]  # not yet
        for user in ("user-9", "user-7"):
            assert not [r for r in connector.fake.replies
                        if r["_conversation"] == f"a:personal-{user}" and r.get("attachments")]

        # The leader may take and answer it (not make FAQ entries); a stranger may not.
        refresh = ticket["refresh"]["action"]["data"]
        assert (await (await press(bot, refresh, user="user-9")).json())["value"] == \
            "この質問は、質問者と回答担当者だけが見られます。"
        mine = (await (await press(bot, refresh, user="user-8")).json())["value"]
        assert [act["title"] for act in mine["actions"]] == ["回答する", "解決済みにする", "担当する"]
        assert mine["body"][1]["text"].startswith("情報政策課の職員からの質問です。")
        send = next(act["data"] for act in mine["actions"] if act["data"]["do"] == "answer")
        forged = {**send, "answer": "偽の回答"}
        assert (await (await press(bot, forged, user="user-9")).json())["value"] == \
            "この操作は回答担当者だけが行えます。"
        answered = (await (await press(bot, {**send, "answer": "受付センターへ電話してください。"},
                                       user="user-8")).json())["value"]
        assert facts(answered)["状態"] == "回答済み"
        assert "promote" not in [act["data"]["do"] for act in answered["actions"]]
        [told] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-1"
                                      and r.get("attachments") and content(r)["body"][0]["text"]
                                      == "担当者から回答が届きました"])
        assert content(told)["body"][2]["text"] == "受付センターへ電話してください。"
        [record] = await questions(bot, 1)
        assert (record["AnsweredBy"], record["Status"]) == ("石川 リーダー", "回答済み")
        await asyncio.sleep(2.0)  # past the leaders' time
    assert not [r for r in connector.fake.replies if r["_conversation"] == CHANNEL]  # the section answered it


async def test_a_question_no_leader_takes_reaches_the_channel_and_then_its_reminder(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "山田 花子", HANAKO["Email"]),
                              "29:user-8": member("user-8", "石川 リーダー", "ishikawa@city.example.jp")}
    # The leaders have about 1.5 s, then the channel; the reminder about 1 s after the channel.
    async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL, expert_route_to_leaders=True,
                           expert_leader_hours=1.5 / 3600, expert_remind_hours=1.0 / 3600) as bot:
        async with open_store(bot.settings) as store:
            await store.upsert("Staff", [Upsert("001234", HANAKO)])
            await store.upsert("LeaderRoster", [Upsert("000801", leader("石川 リーダー", "ishikawa@city.example.jp"))])
        await greet(bot, "user-8")
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [copy] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-8"
                                      and r.get("attachments")])
        assert not [r for r in connector.fake.replies if r["_conversation"] == CHANNEL]
        [post] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
        assert "再掲" not in str(content(post)["body"])  # the first post in the channel
        again = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL][1:])
        assert content(again[0])["body"][1]["text"] == "まだ担当が決まっていません（再掲）"
        # Someone takes it (in the list): every copy, the leader's included, shows it; the
        # reposted one no longer says nobody has it.
        [record] = await questions(bot, 1)
        async with open_store(bot.settings) as store:
            await store.upsert("Questions", [Upsert(record["key"], {"AssignedTo": "佐藤"})])
        await until(lambda: [u for u in connector.fake.updates if u["_conversation"] == "a:personal-user-8"])
        await asyncio.sleep(0.4)
        for shown in (copy, post, again[0]):
            assert facts(content(connector.fake.latest(shown)))["担当"] == "佐藤"
        assert "再掲" not in str(content(connector.fake.latest(again[0]))["body"])
        assert "情報政策課の職員からの質問です" not in str(content(connector.fake.latest(copy))["body"])
    assert len([r for r in connector.fake.replies if r["_conversation"] == CHANNEL]) == 2


async def test_a_section_without_a_reachable_leader_goes_to_the_channel_at_once(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "山田 花子", HANAKO["Email"])}
    async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL, expert_route_to_leaders=True) as bot:
        async with open_store(bot.settings) as store:
            await store.upsert("Staff", [Upsert("001234", HANAKO)])
            # A leader who has never talked to the bot: Teams does not let it write to them.
            await store.upsert("LeaderRoster", [Upsert("000801", leader("石川 リーダー", "ishikawa@city.example.jp"))])
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
    assert len(connector.fake.created) == 1  # the channel post only: no chat opened with anyone


async def test_a_leader_asking_is_not_routed_their_own_question(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "山田 花子", HANAKO["Email"])}
    async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL, expert_route_to_leaders=True) as bot:
        async with open_store(bot.settings) as store:
            await store.upsert("Staff", [Upsert("001234", HANAKO)])
            await store.upsert("LeaderRoster", [Upsert("001234", leader("山田 花子", HANAKO["Email"]))])
        await greet(bot, "user-1")
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [post] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
        await asyncio.sleep(0.2)
    assert not [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-1"
                and r.get("attachments") and content(r)["body"][0]["text"] == "担当者への質問"]
    assert facts(content(post))["状態"] == "回答待ち"


async def test_a_connector_answering_429_for_a_while_loses_nothing_and_sends_nothing_twice(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "山田 花子", HANAKO["Email"])}
    async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL) as bot:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        connector.fake.throttle = 12  # the ticket's post meets a storm of 429s
        [post] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL], 20)
        [record] = await questions(bot, 1)
        connector.fake.throttle = 12  # and so do the answer to the asker and the ticket's update
        async with open_store(bot.settings) as store:
            await store.upsert("Questions", [Upsert(record["key"], {
                "Answer": "受付センターへ電話してください。", "AnsweredBy": "佐藤", "Status": "回答済み"})])
        await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-1"
                             and r["_reply_to"] is None], 20)
        await until(lambda: connector.fake.updates, 20)
        await asyncio.sleep(1.0)
    assert connector.fake.throttled == 24
    assert len([r for r in connector.fake.replies if r["_conversation"] == CHANNEL]) == 1
    [told] = [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-1" and r["_reply_to"] is None]
    assert content(told)["body"][2]["text"] == "受付センターへ電話してください。"
    assert facts(content(connector.fake.latest(post)))["状態"] == "回答済み"


async def routed(tmp_path: Path, connector: RunningConnector, staff: dict[str, Any] = HANAKO,
                 **settings: Any) -> Any:
    """A running bot whose Staff list has the asker and whose roster has 石川 (user-8, who has
    talked to the bot) as the leader of 情報政策課 in 総務局."""
    connector.fake.members = {"29:user-1": member("user-1", "山田 花子", HANAKO["Email"]),
                              "29:user-8": member("user-8", "石川 リーダー", "ishikawa@city.example.jp")}
    running = running_bot(tmp_path, connector, expert_route_to_leaders=True, **settings)
    bot = await running.__aenter__()
    async with open_store(bot.settings) as store:
        await store.upsert("Staff", [Upsert("001234", staff)])
        await store.upsert("LeaderRoster", [Upsert("000801", leader("石川 リーダー", "ishikawa@city.example.jp"))])
    await greet(bot, "user-8")
    return running, bot


def leader_copies(connector: RunningConnector) -> list[dict]:
    return [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-8" and r.get("attachments")]


async def test_every_step_shows_on_the_copies_even_back_and_forth(tmp_path: Path, connector: RunningConnector) -> None:
    running, bot = await routed(tmp_path, connector, expert_channel_id=CHANNEL)
    try:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [copy] = await until(lambda: leader_copies(connector))
        refresh = content(copy)["refresh"]["action"]["data"]
        holders = []
        for step in ("take", "release", "take", "release"):
            card = (await (await press(bot, refresh, user="user-8")).json())["value"]
            data = next(act["data"] for act in card["actions"] if act["data"]["do"] == step)
            await press(bot, data, user="user-8")
            count = len(holders) + 1
            await until(lambda: connector.fake.updates[count - 1:])
            holders.append(facts(content(connector.fake.latest(copy)))["担当"])
    finally:
        await running.__aexit__(None, None, None)
    assert [h.split("（")[0] or h for h in holders] == ["石川 リーダー", "（未定）", "石川 リーダー", "（未定）"]
    assert not [r for r in connector.fake.replies if r["_conversation"] == CHANNEL]


async def test_an_asker_whose_bureau_is_unknown_is_not_routed_by_section_name_alone(
        tmp_path: Path, connector: RunningConnector) -> None:
    running, bot = await routed(tmp_path, connector, {**HANAKO, "Bureau": None}, expert_channel_id=CHANNEL)
    try:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
    finally:
        await running.__aexit__(None, None, None)
    assert leader_copies(connector) == []


async def test_a_leader_who_moved_since_has_no_say_in_the_question(tmp_path: Path, connector: RunningConnector) -> None:
    running, bot = await routed(tmp_path, connector, expert_channel_id=CHANNEL)
    try:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [copy] = await until(lambda: leader_copies(connector))
        refresh = content(copy)["refresh"]["action"]["data"]
        card = (await (await press(bot, refresh, user="user-8")).json())["value"]
        take = next(act["data"] for act in card["actions"] if act["data"]["do"] == "take")
        async with open_store(bot.settings) as store:  # April: the leader moves to another section
            await store.upsert("LeaderRoster", [Upsert("000801", {"Section": "財政課", "Bureau": "財政局"})])
        seen = (await (await press(bot, refresh, user="user-8")).json())["value"]
        taken = (await (await press(bot, take, user="user-8")).json())["value"]
        [record] = await questions(bot, 1)
    finally:
        await running.__aexit__(None, None, None)
    assert seen == "この質問は、質問者と回答担当者だけが見られます。"
    assert taken == "この操作は回答担当者だけが行えます。"
    assert record.get("AssignedTo") is None


async def test_when_no_leader_can_be_reached_the_channel_gets_it_at_once(
        tmp_path: Path, connector: RunningConnector) -> None:
    running, bot = await routed(tmp_path, connector, expert_channel_id=CHANNEL)
    try:
        connector.fake.gone.add("a:personal-user-8")  # the leader removed the app since
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        # Long before the leaders' four hours.
        [post] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
    finally:
        await running.__aexit__(None, None, None)
    assert facts(content(post))["状態"] == "回答待ち" and leader_copies(connector) == []


async def test_without_a_channel_the_leaders_card_promises_no_channel(
        tmp_path: Path, connector: RunningConnector) -> None:
    running, bot = await routed(tmp_path, connector)
    try:
        await send_to_person(bot, "粗大ごみの出し方を教えて")
        [copy] = await until(lambda: leader_copies(connector))
    finally:
        await running.__aexit__(None, None, None)
    banner = content(copy)["body"][1]["text"]
    assert banner == ("情報政策課の職員からの質問です。"
                      "課のリーダーとして答えられるときは「担当する」か「回答する」を押してください。")


async def test_the_command_shitsumon_sends_a_question_to_a_person_without_the_faq(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "山田 花子", HANAKO["Email"])}
    async with running_bot(tmp_path, connector, expert_channel_id=CHANNEL) as bot:
        async with open_store(bot.settings) as store:
            await store.upsert("Staff", [Upsert("001234", HANAKO)])
        before = len(connector.fake.replies)
        # A question the FAQ does answer: with 「質問」 it goes to a person all the same.
        await bot.post(a.personal_message(connector.service_url, "質問　パスワードを忘れた。急ぎで再発行したい"))
        [reply] = (await wait_for_replies(bot, before + 1))[before:]
        confirm = content(reply)
        box = next(b for b in confirm["body"] if b.get("id") == "question")
        assert box["value"] == "パスワードを忘れた。急ぎで再発行したい"
        send = next(act["data"] for act in confirm["actions"] if act["verb"] == "question.send")
        sent = (await (await press(bot, {**send, "question": box["value"]})).json())["value"]
        assert sent["body"][0]["text"] == "担当者に届けました"
        [post] = await until(lambda: [r for r in connector.fake.replies if r["_conversation"] == CHANNEL])
        [record] = await questions(bot, 1, where=lambda items: items[0].get("Status") == "回答待ち")
        before = len(connector.fake.replies)
        await bot.post(a.personal_message(connector.service_url, "質問"))
        [empty] = (await wait_for_replies(bot, before + 1))[before:]
    assert (record["QuestionText"], record["AskerName"], record["Section"]) == (
        "パスワードを忘れた。急ぎで再発行したい", "山田 花子", "情報政策課")
    assert facts(content(post))["質問者"] == "山田 花子・情報政策課・総務局"
    assert next(b for b in content(empty)["body"] if b.get("id") == "question")["value"] == ""
