"""The commands Teams offers in the compose box, in Japanese and English, per scope.

Each title is a message the bot answers with its own route (tests/bot/test_teams_app.py sends
every one through the endpoint in its scopes): what the list offers is what the bot serves.
Proposals and the training record are personal, so a team or a group chat offers only what
works there.
"""

from __future__ import annotations

from dataclasses import dataclass

PERSONAL = ("personal",)
EVERYWHERE = ("personal", "team", "groupChat")


@dataclass(frozen=True, slots=True)
class Command:
    title: str
    description: str
    title_en: str
    description_en: str
    scopes: tuple[str, ...] = EVERYWHERE


COMMANDS = (
    Command("ヘルプ", "このボットでできることと使い方を表示します", "help",
            "shows what this bot does and how to use it"),
    Command("質問", "FAQ を探さずに、担当者へ質問を届けます（「質問 〇〇」でも）", "ask a person",
            "sends your question to a person without looking in the FAQ"),
    Command("提案", "業務改善提案のカードを開きます", "propose", "opens the improvement proposal card", PERSONAL),
    Command("提案の状況", "自分が出した提案と審査の状況を表示します", "my proposals",
            "lists the proposals you submitted and where they stand", PERSONAL),
    Command("受講状況", "自分の研修の受講状況と、今年度の必須研修の期限を表示します", "my training",
            "shows your training record and this year's required courses with their deadlines", PERSONAL),
    Command("リーダー", "自分の課のリーダーと部局のアドバイザー（相談先）を表示します", "my leaders",
            "shows the leaders of your section and the advisors of your bureau"),
)
