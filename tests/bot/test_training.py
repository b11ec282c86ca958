"""「受講状況」 and 「リーダーは誰」 through the real endpoint, over the lists the sync fills (real
SQLite), with the fake Bot Connector's member lookup saying who is asking."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from liststore import Upsert, open_store
from tests.bot import activities as a
from tests.bot.conftest import RunningBot, running_bot, wait_for_replies
from tests.fakes.bot_connector import RunningConnector

JST = timezone(timedelta(hours=9))
TODAY = datetime.now(JST).date()
FY = TODAY.year if TODAY.month >= 4 else TODAY.year - 1
DEADLINE = date(FY + 1, 1, 31)

STAFF = {
    "001234": {"Title": "山田 花子", "Email": "hanako.yamada@city.example.jp", "Section": "情報政策課",
               "Bureau": "総務局", "IsActive": True},
    "005678": {"Title": "鈴木 一郎", "Email": "ichiro.suzuki@city.example.jp", "Section": "税務課",
               "Bureau": "財政局", "IsActive": True},
    "000777": {"Title": "佐藤 管理", "Email": "kanri.sato@city.example.jp", "Section": "デジタル行政戦略課",
               "Bureau": "総務局", "IsActive": True},
}
ALL = "一般職員研修"
DL = "デジタル行政推進リーダー"
COURSES = {
    "EL-DATA": {"Title": "データリテラシー基礎", "Program": ALL, "IsRequired": True, "FirstFiscalYear": FY - 1},
    "EL-AI": {"Title": "AI基礎", "Program": "一般職員研修", "IsRequired": True, "FirstFiscalYear": FY},
    "EL-SEC": {"Title": "情報セキュリティ", "Program": "一般職員研修", "IsRequired": True, "FirstFiscalYear": FY - 2},
    "EL-OLD": {"Title": "旧コース", "Program": "一般職員研修", "IsRequired": True, "FirstFiscalYear": FY - 4,
               "LastFiscalYear": FY - 2},
    "EL-OPT": {"Title": "Excel活用", "Program": "一般職員研修", "IsRequired": False, "FirstFiscalYear": FY - 1},
    "LD-PA": {"Title": "Power Apps演習", "Program": "リーダー育成研修", "IsRequired": True, "FirstFiscalYear": FY - 5},
}


def completion(staff: str, course: str, status: str, progress: int | None = None,
               done: str | None = None) -> Upsert:
    return Upsert(f"{staff}_{course}", {"Title": f"{staff} {course}", "StaffNumber": staff, "CourseCode": course,
                                        "Status": status, "ProgressPercent": progress, "CompletedOn": done,
                                        "FiscalYear": FY})


def member(user: str, email: str) -> dict[str, Any]:
    return {"id": f"29:{user}", "name": "x", "aadObjectId": f"aad-{user}", "email": email}


async def fill(bot: RunningBot) -> None:
    async with open_store(bot.settings) as store:
        await store.upsert("Staff", [Upsert(k, v) for k, v in STAFF.items()])
        await store.upsert("Courses", [Upsert(k, {**v, "CourseCode": k}) for k, v in COURSES.items()])
        await store.upsert("CourseCompletions", [
            completion("001234", "EL-DATA", "修了", 100, f"{FY}-06-12"),
            completion("001234", "EL-AI", "受講中", 40),
            completion("001234", "LD-PA", "修了", 100, f"{FY - 2}-07-01"),
            completion("005678", "EL-SEC", "修了", 100, f"{FY}-05-01"),  # someone else's: never shown to her
            completion("005678", "EL-AI", "未受講", 0)])
        await store.upsert("LeaderRoster", [Upsert("001234", {
            "Title": "山田 花子", "Tier": "デジタル行政推進リーダー", "Cohort": 3, "CohortFiscalYear": FY - 3,
            "CertifiedOn": f"{FY - 3}-11-30", "RosterStatus": "在籍", "Section": "情報政策課", "Bureau": "総務局"})])


async def say(bot: RunningBot, text: str, *, user: str = "user-1", channel: bool = False) -> dict:
    before = len(bot.connector.fake.replies)
    activity = (a.channel_message(bot.connector.service_url, text, user=user) if channel
                else a.personal_message(bot.connector.service_url, text, user=user))
    await bot.post(activity)
    return (await wait_for_replies(bot, before + 1))[before]


def card_of(reply: dict) -> dict:
    return reply["attachments"][0]["content"]


def facts(card: dict) -> list[dict[str, str]]:
    return [{f["title"]: f["value"] for f in b["facts"]} for b in card["body"] if b.get("type") == "FactSet"]


def texts(card: dict) -> list[str]:
    return [b.get("text", "") for b in card["body"]]


async def test_a_person_sees_their_own_record_what_is_still_required_and_by_when(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "Hanako.Yamada@city.example.jp")}
    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        card = card_of(await say(bot, "自分の受講状況"))
    assert card["body"][0]["text"] == f"山田 花子 さんの受講状況（{FY}年度）"
    assert card["body"][1]["text"] == "001234・情報政策課・総務局"
    [everything] = facts(card)
    due = {c["items"][0]["text"]: c["items"][1]["text"] for c in card["body"] if c.get("type") == "Container"}
    left = (DEADLINE - TODAY).days
    # This year's required courses not completed: one in progress, one with no record yet.
    assert due == {"AI基礎": f"期限 {DEADLINE:%Y/%m/%d}（あと {left} 日）・受講中（進捗 40%）",
                   "情報セキュリティ": f"期限 {DEADLINE:%Y/%m/%d}（あと {left} 日）・未受講"}
    assert everything == {"AI基礎": "受講中（進捗 40%）", "情報セキュリティ": "未受講",
                          "データリテラシー基礎": f"修了（{FY}/06/12）", "Power Apps演習": f"修了（{FY - 2}/07/01）"}
    assert f"デジタル行政推進リーダー（第3期・{FY - 3}/11/30 認定）" in texts(card)
    assert "鈴木" not in str(card) and "EL-OLD" not in str(card) and "旧コース" not in str(card)


async def test_a_record_is_never_shown_in_a_channel_nor_to_someone_the_staff_list_does_not_know(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "hanako.yamada@city.example.jp"),
                              "29:user-2": member("user-2", "hanako.yamada@city.example.jp"),
                              "29:user-9": member("user-9", "contractor@vendor.example.com")}
    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        in_channel = await say(bot, "受講状況", user="user-2", channel=True)
        stranger = await say(bot, "受講状況", user="user-9")
    assert in_channel["text"].startswith("受講状況は個人の記録です。") and not in_channel.get("attachments")
    assert stranger["text"].startswith("職員名簿であなたを見つけられませんでした") and not stranger.get("attachments")


async def test_only_the_division_looks_up_someone_else_and_every_lookup_is_recorded(
        tmp_path: Path, connector: RunningConnector) -> None:
    from tests.fakes.graph_fake import serve_graph_fake

    async with serve_graph_fake(tmp_path / "graph") as graph:
        graph.fake.add_user("aad-user-7", None, "kanri.sato@city.example.jp")
        graph.fake.add_user("aad-user-1", None, "hanako.yamada@city.example.jp")
        graph.fake.groups = {"g-admins": {"displayName": "DX推進課", "members": {"aad-user-7"}}}
        creds = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()
                 if k not in ("DX_STORE", "DX_SITE_URL")}
        connector.fake.members = {"29:user-1": member("user-1", "hanako.yamada@city.example.jp"),
                                  "29:user-7": member("user-7", "kanri.sato@city.example.jp")}
        async with running_bot(tmp_path, connector, admin_group_ids="g-admins", **creds) as bot:
            await fill(bot)
            refused = await say(bot, "受講状況 005678")
            looked_up = card_of(await say(bot, "受講状況　００５６７８", user="user-7"))  # full-width, as typed
            missing = await say(bot, "受講状況 999999", user="user-7")
            for _ in range(250):
                async with open_store(bot.settings) as store:
                    log = [i.fields async for page in store.pages("AccessLog") for i in page]
                if len(log) == 2:
                    break
                await asyncio.sleep(0.02)
    assert refused["text"].startswith("ほかの職員の受講状況は、デジタル行政戦略課の担当者だけが見られます。")
    assert looked_up["body"][0]["text"] == f"鈴木 一郎 さんの受講状況（{FY}年度）"
    assert facts(looked_up)[0] == {"情報セキュリティ": f"修了（{FY}/05/01）", "AI基礎": "未受講",
                                   "データリテラシー基礎": "未受講"}
    assert looked_up["body"][-1]["text"].startswith("この閲覧は記録されました（A-")
    assert missing["text"].startswith("職員番号 999999 の職員は職員名簿にいません。")
    assert sorted((e["ViewerId"], e["SubjectStaffNumber"], e["Found"]) for e in log) == [
        ("aad-user-7", "005678", True), ("aad-user-7", "999999", False)]  # the refused one looked at nothing


async def test_the_leaders_of_ones_section_and_bureau_with_a_chat_link_each(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-2": member("user-2", "ichiro.suzuki@city.example.jp"),
                              "29:user-3": member("user-3", "kanri.sato@city.example.jp")}

    def leader(name: str, tier: str, section: str, bureau: str, email: str, status: str = "在籍") -> dict:
        return {"Title": name, "Tier": tier, "RosterStatus": status, "Section": section, "Bureau": bureau,
                "Email": email, "Expertise": "Power Automate" if tier == "DXアドバイザー" else None}

    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        async with open_store(bot.settings) as store:
            await store.upsert("LeaderRoster", [
                Upsert("100001", leader("税田 リーダー", DL, "税務課", "財政局", "zeita@city.example.jp")),
                Upsert("100002", leader("財部 アドバイザー", "DXアドバイザー", "会計課", "財政局", "zaibe@city.jp")),
                # Another section's leader in the same bureau, a leader of a 税務課 elsewhere, one who left.
                Upsert("100003", leader("管財 リーダー", DL, "管財課", "財政局", "kanzai@city.example.jp")),
                Upsert("100004", leader("別局 リーダー", DL, "税務課", "上下水道局", "betsu@city.example.jp")),
                Upsert("100005", leader("元 リーダー", DL, "税務課", "財政局", "moto@city.example.jp", "退任"))])
        card = card_of(await say(bot, "うちの課の DXリーダーは誰？", user="user-2"))
        none_here = card_of(await say(bot, "相談先", user="user-3"))
    assert card["body"][0]["text"] == "税務課の相談先"
    people = [(c["items"][0]["columns"][0]["items"][0]["text"], c["items"][0]["columns"][0]["items"][1]["text"])
              for c in card["body"] if c.get("type") == "Container"]
    assert people == [("税田 リーダー", f"{DL}・税務課"), ("財部 アドバイザー", "DXアドバイザー・会計課")]
    link = next(c for c in card["body"] if c.get("type") == "Container")["items"][0]["columns"][1]["items"][0]
    url = urlsplit(link["actions"][0]["url"])
    assert (url.netloc, url.path) == ("teams.microsoft.com", "/l/chat/0/0")
    assert parse_qs(url.query)["users"] == ["zeita@city.example.jp"]
    # デジタル行政戦略課 has no leader, and 総務局 has only her (another section's leader).
    none = "デジタル行政戦略課にも総務局にも、いまリーダー・アドバイザーがいません。"
    assert none_here["body"][1]["text"].startswith(none)


async def test_a_required_course_not_completed_is_reminded_once_before_its_deadline(
        tmp_path: Path, connector: RunningConnector) -> None:
    # The bot runs on a day five days before the division's deadline for every required course.
    soon = date(FY + 1, 2, 10)
    on_the_day = datetime(FY + 1, 2, 5, 0, 30, tzinfo=timezone.utc)  # 09:30 in Japan
    settings_file = tmp_path / "training.toml"
    settings_file.write_text('[deadlines]\ndefault = "02-10"\n[nudges]\ndays_before = 14\n', "utf-8")
    connector.fake.members = {"29:user-1": member("user-1", "hanako.yamada@city.example.jp"),
                              "29:user-2": member("user-2", "ichiro.suzuki@city.example.jp")}
    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        async with open_store(bot.settings) as store:  # he has done everything required; she has not
            await store.upsert("CourseCompletions", [completion("005678", code, "修了", 100, f"{FY}-05-01")
                                                     for code in ("EL-DATA", "EL-AI", "EL-SEC")])
        for user in ("user-1", "user-2"):  # both have talked to the bot; 佐藤 (000777) never has
            await say(bot, "こんにちは", user=user)
        await asyncio.sleep(0.3)
    for _ in range(2):  # and a restart sends nothing twice
        async with running_bot(tmp_path, connector, training_nudges=True, training_file=settings_file,
                               clock=lambda: on_the_day):
            for _ in range(150):
                if [r for r in connector.fake.replies if r["_reply_to"] is None]:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)
    [nudge] = [r for r in connector.fake.replies if r["_reply_to"] is None]
    assert nudge["_conversation"] == "a:personal-user-1"
    assert nudge["text"].startswith(f"山田 花子 さん、研修のお知らせです。次の必須研修の受講期限は {soon:%Y/%m/%d}"
                                    "（あと 5 日）ですが、まだ修了の記録がありません。")
    assert "- AI基礎\n- 情報セキュリティ" in nudge["text"] and "データリテラシー基礎" not in nudge["text"]


async def test_the_dry_run_lists_who_would_be_reminded_and_sends_nothing(
        tmp_path: Path, connector: RunningConnector) -> None:
    import csv
    import io
    import os
    import subprocess
    import sys

    connector.fake.members = {"29:user-1": member("user-1", "hanako.yamada@city.example.jp")}
    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        await say(bot, "こんにちは")
        await asyncio.sleep(0.3)
    day = DEADLINE - timedelta(days=3)
    env = {**os.environ, "DX_DATA_DIR": str(tmp_path / "var"), "DX_STORE": "sqlite"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "training", "nudges", "--date", day.isoformat(),
                           "--format", "csv"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.lstrip("\ufeff"))))
    header = ["期限", "職員番号", "氏名", "所属課", "未修了の必須研修", "届けられる"]
    listed = [r for r in rows[rows.index(header) + 1:] if r]
    due, unknown = f"{DEADLINE:%Y/%m/%d}", "いいえ（ボットと話したことがない）"
    assert listed == [
        [due, "000777", "佐藤 管理", "デジタル行政戦略課", "AI基礎、データリテラシー基礎、情報セキュリティ", unknown],
        [due, "001234", "山田 花子", "情報政策課", "AI基礎、情報セキュリティ", "はい"],
        [due, "005678", "鈴木 一郎", "税務課", "AI基礎、データリテラシー基礎", unknown]]
    assert [r for r in connector.fake.replies if r["_reply_to"] is None] == []


async def test_an_address_two_staff_rows_share_shows_neither_record(
        tmp_path: Path, connector: RunningConnector) -> None:
    connector.fake.members = {"29:user-1": member("user-1", "hanako.yamada@city.example.jp")}
    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        async with open_store(bot.settings) as store:  # someone else's row with her address
            await store.upsert("Staff", [Upsert("000100", {**STAFF["005678"], "Email": STAFF["001234"]["Email"]})])
        reply = await say(bot, "受講状況")
    assert reply["text"].startswith("職員名簿であなたを見つけられませんでした") and not reply.get("attachments")


async def nudges_over(tmp_path: Path, config_text: str) -> tuple[Any, Any, Any]:
    """The reminders over a provisioned SQLite store and the bot's SQLite state, on a given file."""
    from bot.app import open_state
    from bot.people import Directory
    from bot.training.nudges import TrainingNudges
    from bot.training.records import TrainingRecords
    from config.settings import load_settings
    from config.training import load_training_config
    from tests.bot.conftest import provision

    settings = load_settings(data_dir=tmp_path / "var", store="sqlite")
    await provision(settings)
    path = tmp_path / "training.toml"
    path.write_text(config_text, "utf-8")
    store_cm = open_store(settings)
    store = await store_cm.__aenter__()
    state = open_state(settings)
    nudges = TrainingNudges(store, state, None, TrainingRecords(store, load_training_config(path)),
                            Directory(store, None, state=state).key_of, lambda name, courses: "")
    return store_cm, state, nudges


async def test_a_long_reminder_window_reminds_once_even_after_the_outbox_forgets(tmp_path: Path) -> None:
    long_window = '[deadlines]\ndefault = "01-31"\n[nudges]\ndays_before = 90\n'
    store_cm, state, nudges = await nudges_over(tmp_path, long_window)
    try:
        store = nudges._store
        await store.upsert("Staff", [Upsert("001234", STAFF["001234"])])
        await store.upsert("Courses", [Upsert("EL-AI", {**COURSES["EL-AI"], "CourseCode": "EL-AI"})])
        await state.commit(values={("people:email", "hanako.yamada@city.example.jp"): "aad-user-1"}, now=0)
        first = await nudges.run_once(date(FY, 11, 10))
        for item in await state.outbox.due(now=1e12):
            await state.outbox.delivered(item.key, now=1.0)
        await state.outbox.prune(before=1e12)  # a month and more later, the outbox has let the key go
        later = await nudges.run_once(date(FY + 1, 1, 20))
    finally:
        await state.close()
        await store_cm.__aexit__(None, None, None)
    assert (first, later) == (1, 0)


async def test_reminders_reach_deadlines_of_the_coming_fiscal_year_in_march(tmp_path: Path) -> None:
    store_cm, state, nudges = await nudges_over(tmp_path, '[deadlines]\ndefault = "04-05"\n')
    try:
        store = nudges._store
        await store.upsert("Staff", [Upsert("001234", STAFF["001234"])])
        await store.upsert("Courses", [Upsert("EL-AI", {**COURSES["EL-AI"], "CourseCode": "EL-AI"})])
        due = await nudges.due(date(FY + 1, 3, 28))
    finally:
        await state.close()
        await store_cm.__aexit__(None, None, None)
    assert [(n.staff_number, n.deadline, n.courses) for n in due] == [("001234", date(FY + 1, 4, 5), ("AI基礎",))]


def test_a_course_deadline_that_is_no_day_is_refused_before_anything_runs(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    bad = tmp_path / "training.toml"
    bad.write_text('[deadlines]\ndefault = "01-31"\n"EL-AI" = "02-30"\n', "utf-8")
    env = {**os.environ, "DX_DATA_DIR": str(tmp_path / "var"), "DX_TRAINING_FILE": str(bad)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "training", "nudges"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2 and "DX_TRAINING_FILE" in done.stderr and "EL-AI" in done.stderr


async def test_reminders_are_not_sent_in_the_middle_of_the_night(tmp_path: Path, connector: RunningConnector) -> None:
    settings_file = tmp_path / "training.toml"
    settings_file.write_text('[deadlines]\ndefault = "02-10"\n', "utf-8")
    connector.fake.members = {"29:user-1": member("user-1", "hanako.yamada@city.example.jp")}
    async with running_bot(tmp_path, connector) as bot:
        await fill(bot)
        await say(bot, "こんにちは")
        await asyncio.sleep(0.3)
    night = datetime(FY + 1, 2, 4, 15, 30, tzinfo=timezone.utc)  # 00:30 in Japan
    async with running_bot(tmp_path, connector, training_nudges=True, training_file=settings_file,
                           clock=lambda: night):
        await asyncio.sleep(1.0)
    assert [r for r in connector.fake.replies if r["_reply_to"] is None] == []


async def test_a_lookup_that_cannot_be_logged_shows_nothing(tmp_path: Path, connector: RunningConnector) -> None:
    from tests.fakes.graph_fake import serve_graph_fake

    async with serve_graph_fake(tmp_path / "graph") as graph:
        graph.fake.add_user("aad-user-7", None, "kanri.sato@city.example.jp")
        graph.fake.groups = {"g-admins": {"displayName": "DX推進課", "members": {"aad-user-7"}}}
        creds = {k.removeprefix("DX_").lower(): v for k, v in graph.env().items()
                 if k not in ("DX_STORE", "DX_SITE_URL")}
        connector.fake.members = {"29:user-7": member("user-7", "kanri.sato@city.example.jp")}
        # The AccessLog list is not there (not provisioned yet): the lookup cannot be recorded.
        async with running_bot(tmp_path, connector, admin_group_ids="g-admins", skip_lists=("AccessLog",),
                               **creds) as bot:
            await fill(bot)
            reply = await say(bot, "受講状況 005678", user="user-7")
    assert reply["text"] == "閲覧を記録できなかったため、表示しませんでした。しばらくしてからもう一度送ってください。"
    assert "鈴木" not in str(reply)
