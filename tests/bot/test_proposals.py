"""業務改善提案 end to end through the real endpoint: real activity JSON, the real CloudAdapter,
the fake Bot Connector (replies, member lookups, proactive messages) and the SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from liststore import Upsert, open_store
from tests.bot import activities as a
from tests.bot.conftest import RunningBot, action_data, press, running_bot, wait_for_replies
from tests.fakes.bot_connector import RunningConnector

HANAKO = {"id": "29:user-1", "name": "山田 花子", "aadObjectId": "aad-user-1",
          "email": "Hanako.Yamada@city.example.jp", "userPrincipalName": "hanako.yamada@city.example.jp"}
TARO = {"id": "29:user-2", "name": "佐藤 太郎", "aadObjectId": "aad-user-2", "email": "taro.sato@city.example.jp"}
PAPERLESS = {"title": "会議資料のペーパーレス化", "kind": "業務改善提案", "category": "ペーパーレス",
             "problem": "毎週の課内会議で資料を紙で印刷して配布しており、印刷と配布に時間がかかっている。",
             "idea": "会議資料を Teams のチャネルに置き、当日は画面共有で進める。",
             "effect": "印刷と配布の手間がなくなる", "hours": "１２０時間"}


async def seed(bot: RunningBot, *, staff: bool = True, proposals: list[tuple[str, dict[str, Any]]] = ()) -> None:
    async with open_store(bot.settings) as store:
        if staff:
            await store.upsert("Staff", [Upsert("001234", {
                "Title": "山田 花子", "Email": "hanako.yamada@city.example.jp", "Section": "情報政策課",
                "Bureau": "総務局", "IsActive": True, "EmploymentStatus": "在職"})])
        for number, fields in proposals:
            await store.create("Proposals", [Upsert(number, fields)])


def existing(title: str, problem: str, idea: str, submission: str) -> dict[str, Any]:
    return {"Title": title, "Kind": "業務改善提案", "Category": "ペーパーレス", "Problem": problem, "Idea": idea,
            "ProposerEmail": "someone@city.example.jp", "SubmittedAt": "2026-05-01T00:00:00Z", "FiscalYear": 2026,
            "SubmissionId": submission, "Status": "審査中", "SupportCount": 0}


async def items(bot: RunningBot, list_name: str) -> list[dict[str, Any]]:
    async with open_store(bot.settings) as store:
        return [dict(i.fields, key=i.key) async for page in store.pages(list_name) for i in page]


async def open_form(bot: RunningBot, text: str = "提案", user: str = "user-1") -> dict:
    before = len(bot.connector.fake.replies)
    await bot.post(a.personal_message(bot.connector.service_url, text, user=user))
    await wait_for_replies(bot, before + 1)
    return bot.connector.fake.cards()[-1]


async def execute(bot: RunningBot, verb: str, data: dict[str, Any], user: str = "user-1") -> dict[str, Any]:
    """Press an Action.Execute button: Teams merges the card's inputs into the action's data."""
    response = await press(bot, {"verb": verb, **data}, user=user)
    assert response.status == 200, await response.text()
    return (await response.json())["value"]


async def submit(bot: RunningBot, data: dict[str, Any], user: str = "user-1") -> dict[str, Any]:
    """Check and submit; past the similar-proposals card when one comes."""
    card = await execute(bot, "proposal.check", data, user=user)
    if card["body"][0]["text"] == "似た提案がすでにあります":
        card = await execute(bot, "proposal.submit", action_data(card, "proposal.submit"), user=user)
    return card


def inputs(card: dict) -> dict[str, dict]:
    return {b["id"]: b for b in card["body"] if b["type"].startswith("Input.")}


def errors(card: dict) -> list[str]:
    return [b["text"] for b in card["body"] if b.get("color") == "Attention"]


@pytest.fixture(params=["sqlite", "sharepoint"])
async def either_bot(request: pytest.FixtureRequest, tmp_path: Path,
                     connector: RunningConnector) -> AsyncIterator[RunningBot]:
    """The bot over the SQLite store, or over SharePoint (msgraph-sdk against the Graph fake)."""
    if request.param == "sqlite":
        async with running_bot(tmp_path, connector) as bot:
            yield bot
        return
    from tests.fakes.graph_fake import serve_graph_fake

    async with serve_graph_fake(tmp_path / "graph") as graph:
        env = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()}
        async with running_bot(tmp_path, connector, **env, graph_ru_per_minute=100000) as bot:
            yield bot


async def test_a_proposal_from_form_to_number_with_similar_ones_first(either_bot: RunningBot) -> None:
    bot = either_bot
    bot.connector.fake.members = {"29:user-1": HANAKO}
    await seed(bot, proposals=[("2026-0001", existing(
        "会議資料を紙で配るのをやめる", "課内会議の資料を毎回紙で印刷して配布している。",
        "資料は Teams で共有して画面共有で会議を進める。", "R-SEED0001"))])

    form = await open_form(bot)
    assert set(inputs(form)) >= {"title", "problem", "idea", "effect", "hours", "category", "kind", "links"}

    # Invalid: no title, hours that are not a number. The card comes back with what was typed.
    bad = await execute(bot, "proposal.check", {**PAPERLESS, "title": "  ", "hours": "たくさん"})
    assert inputs(bad)["problem"]["value"] == PAPERLESS["problem"] and inputs(bad)["hours"]["value"] == "たくさん"
    assert "入力してください。" in errors(bad) and "0〜100000の数値で入力してください（例: 120）。" in errors(bad)

    # The draft survives closing Teams: 「提案」 again brings back what was typed last.
    again = await open_form(bot)
    assert inputs(again)["problem"]["value"] == PAPERLESS["problem"]

    similar = await execute(bot, "proposal.check", PAPERLESS)
    assert similar["body"][0]["text"] == "似た提案がすでにあります"
    assert "2026-0001" in similar["body"][2]["items"][0]["text"]

    support = action_data({"actions": similar["body"][2]["items"][2]["actions"]}, "proposal.support")
    supported = (await (await press(bot, support)).json())["value"]
    assert supported.startswith("「会議資料を紙で配るのをやめる」（2026-0001）に賛同しました")
    assert "すでに賛同しています" in (await (await press(bot, support)).json())["value"]

    received = await execute(bot, "proposal.submit", action_data(similar, "proposal.submit"))
    facts = {f["title"]: f["value"] for f in received["body"][1]["facts"]}
    assert received["body"][0]["text"] == "提案を受け付けました"
    assert facts == {"件名": "会議資料のペーパーレス化", "提案番号": "2026-0002", "状況": "受付"}

    filed = {i["key"]: i for i in await items(bot, "Proposals")}
    mine = filed["2026-0002"]
    assert (mine["ProposerEmail"], mine["ProposerName"], mine["StaffNumber"]) == (
        "Hanako.Yamada@city.example.jp", "山田 花子", "001234")
    assert (mine["Section"], mine["Bureau"]) == ("情報政策課", "総務局")
    assert (mine["InStaffList"], mine["Status"]) == (True, "受付")
    assert (mine["EstimatedHoursSaved"], mine["FiscalYear"], mine["Category"]) == (120, 2026, "ペーパーレス")
    [supported] = await items(bot, "ProposalSupports")
    assert (supported["ProposalId"], supported["SupporterId"]) == ("2026-0001", "aad-user-1")
    for _ in range(100):  # the count follows the support record
        if (filed := {i["key"]: i for i in await items(bot, "Proposals")})["2026-0001"]["SupportCount"] == 1:
            break
        await asyncio.sleep(0.02)
    assert filed["2026-0001"]["SupportCount"] == 1
    # The draft was filed: the next form is empty.
    assert inputs(await open_form(bot))["title"]["value"] == ""
    # A reviewer changes the status in the list: the proposer is told, once.
    async with open_store(bot.settings) as store:
        await store.upsert("Proposals", [Upsert("2026-0002", {"Status": "審査中"})])
    [told] = await proactive_cards(bot, 1)
    await asyncio.sleep(0.3)
    assert len(await proactive_cards(bot, 1)) == 1
    assert {f["title"]: f["value"] for f in told["body"][1]["facts"]}["提案番号"] == "2026-0002"


async def test_someone_the_staff_list_does_not_know_can_still_propose(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-2": TARO}
    await seed(bot, staff=False)
    received = await submit(bot, {**PAPERLESS, "title": "窓口の番号札を電子化"}, user="user-2")
    assert received["body"][0]["text"] == "提案を受け付けました", received
    assert any(b["text"].startswith("職員名簿で所属を確認できなかった") for b in received["body"] if "text" in b)
    [filed] = await items(bot, "Proposals")
    assert (filed["InStaffList"], filed["Section"]) == (False, None)
    assert filed["ProposerEmail"] == "taro.sato@city.example.jp"


async def test_two_proposals_at_once_get_two_numbers(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO, "29:user-2": TARO}
    await seed(bot)
    first, second = await asyncio.gather(
        submit(bot, {**PAPERLESS, "title": "電子決裁の徹底"}, user="user-1"),
        submit(bot, {**PAPERLESS, "title": "RPA で給与照合", "category": "RPA・自動化"}, user="user-2"))
    numbers = sorted(f["value"] for card in (first, second) for f in card["body"][1]["facts"]
                     if f["title"] == "提案番号")
    assert numbers == ["2026-0001", "2026-0002"]
    assert sorted(i["key"] for i in await items(bot, "Proposals")) == numbers


async def test_a_proposal_filed_while_the_list_is_down_gets_its_number_later_once(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": HANAKO}
    async with running_bot(tmp_path, connector, skip_lists=("Proposals",)) as bot:
        await seed(bot)
        received = await submit(bot, PAPERLESS)
        facts = {f["title"]: f["value"] for f in received["body"][1]["facts"]}
        assert facts["受付番号"].startswith("R-") and "提案番号" not in facts
        pending = "提案番号は登録が済み次第、このチャットでお知らせします。"
        assert any(b.get("text") == pending for b in received["body"])
        await asyncio.sleep(0.3)  # delivery keeps failing: the list is not there
    sent_before = len(connector.fake.replies)
    # The list is back (provisioned) and the bot restarted: the proposal is filed once, and
    # the proposer is told its number in their chat.
    async with running_bot(tmp_path, connector) as bot:
        for _ in range(250):
            if len(connector.fake.replies) > sent_before:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # time for a duplicate, were there one
        [filed] = await items(bot, "Proposals")
    assert filed["key"] == "2026-0001" and filed["SubmissionId"] == facts["受付番号"]
    told = connector.fake.cards()[-1]
    assert len(connector.fake.replies) == sent_before + 1
    assert {f["title"]: f["value"] for f in told["body"][1]["facts"]}["提案番号"] == "2026-0001"
    assert connector.fake.replies[-1]["_conversation"] == "a:personal-user-1"


async def test_a_stranger_cannot_act_on_someone_else_s_similar_card(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO}
    await seed(bot, proposals=[("2026-0001", existing(
        "会議資料を紙で配るのをやめる", "課内会議の資料を毎回紙で印刷して配布している。",
        "資料は Teams で共有して画面共有で会議を進める。", "R-SEED0001"))])
    similar = await execute(bot, "proposal.check", PAPERLESS)
    refused = await press(bot, action_data(similar, "proposal.submit"), user="user-2")
    assert (await refused.json())["value"] == "このボタンは提案した方のためのものです。"
    assert [i["key"] for i in await items(bot, "Proposals")] == ["2026-0001"]


async def test_where_my_proposals_stand_and_what_was_adopted(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO}
    await seed(bot, proposals=[("2026-0001", {**existing("押印の廃止", "押印のために出勤", "電子決裁へ", "R-A"),
                                             "ProposerId": "aad-user-2", "Status": "採用"})])
    await submit(bot, PAPERLESS)
    mine = await open_form(bot, "提案の状況")
    assert mine["body"][0]["text"] == "あなたの提案" and len(mine["body"]) == 2  # only hers
    assert mine["body"][1]["items"][0]["text"] == "2026-0002　会議資料のペーパーレス化"
    adopted = await open_form(bot, "みんなの提案")
    assert [c["items"][0]["text"] for c in adopted["body"][1:]] == ["2026-0001　押印の廃止"]
    nobody = await open_form(bot, "提案の状況", user="user-3")
    assert nobody["body"][1]["text"].startswith("まだ提案はありません")


async def test_the_help_card_and_the_faq_s_proposal_answers_open_the_form(bot: RunningBot) -> None:
    help_card = await open_form(bot, "ヘルプ")
    opened = await press(bot, action_data(help_card, "proposal.open"))
    assert (await opened.json())["value"] == "提案カードを開きました。"
    await wait_for_replies(bot, 2)
    assert bot.connector.fake.cards()[-1]["body"][0]["text"] == "業務改善提案"
    answer = await open_form(bot, "業務改善提案はどうやって出せばいい？")
    assert [act["title"] for act in answer["actions"]][-3:] == ["提案カードを開く", "役に立った", "解決しない"]
    other = await open_form(bot, "会議を録画したい")
    assert "提案カードを開く" not in [act["title"] for act in other["actions"]]


async def proactive_cards(bot: RunningBot, count: int, conversation: str = "a:personal-user-1") -> list[dict]:
    """Cards the bot sent into `conversation` on its own (not as a reply to an activity), once
    there are `count`."""
    for _ in range(250):
        found = [r for r in bot.connector.fake.replies
                 if r["_reply_to"] is None and r["_conversation"] == conversation]
        if len(found) >= count:
            break
        await asyncio.sleep(0.02)
    return [a["content"] for r in found for a in r.get("attachments") or []]


async def test_the_proposer_is_told_of_each_status_change_once(tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": HANAKO}
    async with running_bot(tmp_path, connector) as bot:
        await seed(bot)
        await submit(bot, PAPERLESS)
        await asyncio.sleep(0.3)  # the watcher has seen it filed (受付): nothing to tell
        assert await proactive_cards(bot, 0) == []
        async with open_store(bot.settings) as store:  # the division, in the list or a Power App
            await store.upsert("Proposals", [Upsert("2026-0001", {"Status": "審査中"})])
            [told] = await proactive_cards(bot, 1)
            facts = {f["title"]: f["value"] for f in told["body"][1]["facts"]}
            assert facts == {"件名": "会議資料のペーパーレス化", "提案番号": "2026-0001", "状況": "審査中"}
            await store.upsert("Proposals", [Upsert("2026-0001", {"SupportCount": 4})])  # not a status change
            await store.upsert("Proposals", [Upsert("2026-0001", {
                "Status": "差し戻し", "ReviewComment": "削減時間の根拠を補ってください。"})])
            cards = await proactive_cards(bot, 2)
            await asyncio.sleep(0.3)
    assert len(await proactive_cards(bot, 2)) == 2  # one card per change, nothing for the support count
    returned = cards[1]
    assert {f["title"]: f["value"] for f in returned["body"][1]["facts"]}["状況"] == "差し戻し"
    texts = [b["text"] for b in returned["body"] if b["type"] == "TextBlock"]
    assert "削減時間の根拠を補ってください。" in texts
    assert any(t.startswith("差し戻しは不採用ではありません") for t in texts)
    assert all(r["_conversation"] == "a:personal-user-1" for r in connector.fake.replies if r["_reply_to"] is None)
    # A restart reads on from where it stopped: nothing is told twice.
    async with running_bot(tmp_path, connector) as bot:
        await asyncio.sleep(0.4)
    assert len([r for r in connector.fake.replies if r["_reply_to"] is None]) == 2


REVIEW_CHANNEL = "19:review-channel@thread.tacv2"


async def execute_in_channel(bot: RunningBot, verb: str, data: dict[str, Any], user: str) -> Any:
    """Press a button of a card in the reviewers' channel (the thread of its post)."""
    activity = a.card_invoke(bot.connector.service_url, verb, {"verb": verb, **data}, user=user)
    activity["conversation"] = {"id": f"{REVIEW_CHANNEL};messageid=1700000000001", "conversationType": "channel",
                                "tenantId": a.TENANT, "isGroup": True}
    response = await bot.post(activity)
    assert response.status == 200, await response.text()
    return (await response.json())["value"]


async def test_reviewers_move_a_proposal_from_the_channel_card_and_the_proposer_hears_each_step(
        tmp_path: Path, connector: RunningConnector) -> None:
    from tests.fakes.graph_fake import serve_graph_fake

    connector.fake.members = {"29:user-1": HANAKO}
    async with serve_graph_fake(tmp_path / "graph") as graph:
        graph.fake.add_user("aad-user-5", None, "reviewer@city.example.jp")
        graph.fake.add_user("aad-user-2", None, "taro.sato@city.example.jp")
        graph.fake.groups = {"g-review": {"displayName": "提案審査", "members": {"aad-user-5"}}}
        creds = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()
                 if k not in ("DX_STORE", "DX_SITE_URL")}
        async with running_bot(tmp_path, connector, proposal_review_channel_id=REVIEW_CHANNEL,
                               proposal_reviewer_group_ids="g-review", **creds) as bot:
            await seed(bot)
            await submit(bot, PAPERLESS)
            for _ in range(250):  # the reviewers' channel gets the card, in a thread of its own
                posted = [r for r in connector.fake.replies if r["_conversation"] == REVIEW_CHANNEL]
                if posted:
                    break
                await asyncio.sleep(0.02)
            [post] = posted
            [thread] = [c for c in connector.fake.created if "channelData" in c]  # a post of its own
            assert thread["channelData"]["channel"]["id"] == REVIEW_CHANNEL and thread["isGroup"] is True
            card = post["attachments"][0]["content"]
            assert card["body"][1]["text"] == "2026-0001　会議資料のペーパーレス化" and card["actions"] == []
            refresh = card["refresh"]["action"]["data"]

            # Everyone else in the channel sees it read-only; a reviewer sees the next steps; from
            # anywhere else, only the proposer and reviewers see it at all.
            assert (await execute_in_channel(bot, "proposal.refresh", refresh, user="user-2"))["actions"] == []
            assert await execute(bot, "proposal.refresh", refresh, user="user-2") == \
                "この提案は、提案者と審査担当者だけが見られます。"
            assert (await execute(bot, "proposal.refresh", refresh, user="user-1"))["actions"] == []
            mine = await execute_in_channel(bot, "proposal.refresh", refresh, user="user-5")
            assert [a["title"] for a in mine["actions"]] == ["審査中にする"]
            forged = {"number": "2026-0001", "to": "採用", "reason": "良い"}
            assert await execute(bot, "proposal.review", forged, user="user-2") == "審査は審査担当者だけが行えます。"

            reviewing = await execute(bot, "proposal.review", action_data(mine, "proposal.review"), user="user-5")
            assert {f["title"]: f["value"] for f in reviewing["body"][2]["facts"]}["状況"] == "審査中"
            adopt = next(a["data"] for a in reviewing["actions"] if a["data"]["to"] == "採用")
            no_reason = await execute(bot, "proposal.review", adopt, user="user-5")
            assert "理由・コメントを入力してください。提案者にそのまま伝わります。" in [
                b.get("text") for b in no_reason["body"]]
            adopted = await execute(bot, "proposal.review", {**adopt, "reason": "来年度から全課で実施します。"},
                                    user="user-5")
            assert [a["title"] for a in adopted["actions"]] == ["実施中にする"]
            skipping = await execute(bot, "proposal.review", {**adopt, "to": "完了", "actual_hours": "90"},
                                     user="user-5")
            assert "いまの状況からは、その状況に変えられません。" in [b.get("text") for b in skipping["body"]]

            told = await proactive_cards(bot, 2)
            await asyncio.sleep(0.3)
        [filed] = await items(bot, "Proposals")
    assert (filed["Status"], filed["ReviewComment"]) == ("採用", "来年度から全課で実施します。")
    statuses = [{f["title"]: f["value"] for f in c["body"][1]["facts"]}["状況"] for c in told]
    to_proposer = [r for r in connector.fake.replies if r["_conversation"] == "a:personal-user-1"
                   and r["_reply_to"] is None]
    assert statuses == ["審査中", "採用"] and len(to_proposer) == 2
    assert graph.fake.counters["check_member_groups"] <= 3  # once per person (three here), not per click


async def test_a_returned_proposal_is_edited_and_resubmitted_under_its_number(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO}
    await seed(bot)
    await submit(bot, PAPERLESS)
    async with open_store(bot.settings) as store:
        await store.upsert("Proposals", [Upsert("2026-0001", {"Status": "差し戻し",
                                                               "ReviewComment": "削減時間の根拠を補ってください。"})])
    [told] = await proactive_cards(bot, 1)
    revise = action_data(told, "proposal.revise")
    assert (await (await press(bot, revise, user="user-2")).json())["value"] == "再提出できるのは提案者ご本人だけです。"
    assert (await (await press(bot, revise)).json())["value"] == "提案カードを開きました。"
    form = bot.connector.fake.cards()[-1]
    assert inputs(form)["problem"]["value"] == PAPERLESS["problem"] and inputs(form)["hours"]["value"] == "120"
    assert any("2026-0001 を修正しています" in b.get("text", "") for b in form["body"])

    edited = {**PAPERLESS, "effect": "年120時間（週1回×2時間×50週＋配布準備）"}
    again = await execute(bot, "proposal.check", edited)
    facts = {f["title"]: f["value"] for f in again["body"][1]["facts"]}
    assert again["body"][0]["text"] == "提案を再提出しました" and facts["提案番号"] == "2026-0001"
    for _ in range(100):
        [filed] = await items(bot, "Proposals")
        if filed["Status"] == "審査中":
            break
        await asyncio.sleep(0.02)
    assert (filed["Status"], filed["ExpectedEffect"]) == ("審査中", edited["effect"])
    late = (await (await press(bot, revise)).json())["value"]
    assert late.startswith("この提案はいま修正して再提出できる状態ではありません")
    # The next 「提案」 is a new proposal again.
    assert inputs(await open_form(bot))["title"]["value"] == ""


async def test_proposals_on_sharepoint_through_the_graph_fake(tmp_path: Path, connector: RunningConnector) -> None:
    """The same flow with the lists in SharePoint (the real msgraph-sdk against the Graph fake):
    similar proposal, support once, two proposals filed at once with two numbers."""
    from tests.fakes.graph_fake import serve_graph_fake

    connector.fake.members = {"29:user-1": HANAKO, "29:user-2": TARO}
    async with serve_graph_fake(tmp_path / "graph") as graph:
        env = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()}
        async with running_bot(tmp_path, connector, **env, graph_ru_per_minute=100000) as bot:
            assert bot.settings.store == "sharepoint"
            await seed(bot, proposals=[("2026-0001", existing(
                "会議資料を紙で配るのをやめる", "課内会議の資料を毎回紙で印刷して配布している。",
                "資料は Teams で共有して画面共有で会議を進める。", "R-SEED0001"))])
            similar = await execute(bot, "proposal.check", PAPERLESS)
            support = action_data({"actions": similar["body"][2]["items"][2]["actions"]}, "proposal.support")
            assert "賛同しました" in (await (await press(bot, support)).json())["value"]
            first, second = await asyncio.gather(
                execute(bot, "proposal.submit", action_data(similar, "proposal.submit")),
                submit(bot, {**PAPERLESS, "title": "RPA で給与照合", "category": "RPA・自動化"}, user="user-2"))
            numbers = sorted(f["value"] for card in (first, second) for f in card["body"][1]["facts"]
                             if f["title"] == "提案番号")
            assert numbers == ["2026-0002", "2026-0003"]
            for _ in range(100):
                supports = await items(bot, "ProposalSupports")
                filed = {i["key"]: i for i in await items(bot, "Proposals")}
                if supports and filed["2026-0001"]["SupportCount"] == 1:
                    break
                await asyncio.sleep(0.05)
            # The division changes a status in the list: the change feed (Graph delta) tells the bot.
            async with open_store(bot.settings) as store:
                await store.upsert("Proposals", [Upsert("2026-0002", {"Status": "審査中"})])
            [told] = await proactive_cards(bot, 1)
            await asyncio.sleep(0.3)
    assert sorted(filed) == ["2026-0001", "2026-0002", "2026-0003"]
    assert len(supports) == 1 and filed["2026-0001"]["SupportCount"] == 1
    assert filed["2026-0002"]["Section"] == "情報政策課"
    assert {f["title"]: f["value"] for f in told["body"][1]["facts"]}["提案番号"] == "2026-0002"
    assert len([r for r in connector.fake.replies if r["_reply_to"] is None
                and r["_conversation"] == "a:personal-user-1"]) == 1


async def test_co_proposers_named_by_e_mail_hear_of_status_changes_too(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO, "29:user-2": TARO}
    await seed(bot)
    await open_form(bot, "ヘルプ", user="user-2")  # Taro has talked to the bot: it knows his address
    await asyncio.sleep(0.2)
    named = "佐藤 太郎（Taro.Sato@city.example.jp）、まだ使っていない人 x@city.example.jp"
    await submit(bot, {**PAPERLESS, "co_proposers": named})
    [filed] = await items(bot, "Proposals")
    assert filed["CoProposerIds"] == "aad-user-2"
    async with open_store(bot.settings) as store:
        await store.upsert("Proposals", [Upsert("2026-0001", {"Status": "審査中"})])
    [to_hanako] = await proactive_cards(bot, 1)
    [to_taro] = await proactive_cards(bot, 1, conversation="a:personal-user-2")
    assert to_hanako == to_taro and to_taro["body"][0]["text"] == "提案の審査状況が変わりました"


async def test_the_same_proposal_sent_twice_is_filed_once(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO}
    await seed(bot)
    form = {**PAPERLESS, "title": "窓口の番号札を電子化する", "category": "窓口・市民サービス"}
    cards = await asyncio.gather(submit(bot, form), submit(bot, form))  # a double click
    later = await submit(bot, form)  # and once more, after it was filed
    numbers = {f["value"] for card in (*cards, later) for f in card["body"][1]["facts"] if f["title"] == "提案番号"}
    assert numbers == {"2026-0001"}
    assert [i["key"] for i in await items(bot, "Proposals")] == ["2026-0001"]


async def test_a_resubmission_after_the_division_decided_is_refused_and_the_text_kept(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-1": HANAKO}
    await seed(bot)
    await submit(bot, PAPERLESS)
    async with open_store(bot.settings) as store:
        await store.upsert("Proposals", [Upsert("2026-0001", {"Status": "差し戻し", "ReviewComment": "補足を"})])
        [told] = await proactive_cards(bot, 1)
        await press(bot, action_data(told, "proposal.revise"))
        await store.upsert("Proposals", [Upsert("2026-0001", {"Status": "不採用", "ReviewComment": "見送り"})])
    rewritten = {**PAPERLESS, "idea": "書き直した改善案"}
    refused = await execute(bot, "proposal.check", rewritten)
    assert refused.startswith("この提案はいま修正して再提出できる状態ではありません（状況: 不採用）")
    [filed] = await items(bot, "Proposals")
    assert (filed["Status"], filed["Idea"]) == ("不採用", PAPERLESS["idea"])
    form = await open_form(bot)
    assert inputs(form)["idea"]["value"] == "書き直した改善案"  # kept, as a draft of a new proposal
    assert not any("を修正しています" in b.get("text", "") for b in form["body"])


async def test_proposals_stay_out_of_channels(bot: RunningBot) -> None:
    bot.connector.fake.members = {"29:user-2": TARO}
    await seed(bot)
    await execute(bot, "proposal.save", {**PAPERLESS, "title": "非公開の下書き"}, user="user-2")
    for text in ("提案", "提案の状況"):
        await bot.post(a.channel_message(bot.connector.service_url, text, user="user-2"))
    replies = await wait_for_replies(bot, 2)
    private = "提案とその状況は、私との個人チャットでお使いください（ほかの人に見えないようにするためです）。"
    assert [r["text"] for r in replies] == [private] * 2
    assert "非公開の下書き" not in str(replies)
    activity = a.card_invoke(bot.connector.service_url, "proposal.check", {"verb": "proposal.check", **PAPERLESS},
                             user="user-2")
    activity["conversation"] = {"id": "19:general@thread.tacv2", "conversationType": "channel", "isGroup": True}
    response = await bot.post(activity)
    assert (await response.json())["value"].startswith("提案とその状況は、私との個人チャットで")
    assert await items(bot, "Proposals") == []
