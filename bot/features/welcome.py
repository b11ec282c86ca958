"""Welcome, help, greetings and thanks: how the bot introduces itself and answers small talk."""

from __future__ import annotations

import re
import time
from typing import Callable

from bot.faq.text import BETWEEN, GREETINGS, ONLY_PLEASANTRIES, PLEASANTRY
from bot.features.cards import CardData
from bot.router import Router
from bot.turn import CardReply, Turn
from cards import render

# The two announcements of one install arrive within seconds of each other.
WELCOME_WINDOW_SECONDS = 600
# Who is writing, after a greeting: 「人事課の田中です」「財政局の山田と申します」; a name alone only
# after はじめまして. A section and a name in kanji or katakana only, so that 「研修はいつです」 and
# 「eラーニングの期限です」 stay questions.
_NAME = r"[\u4e00-\u9fff\u30a0-\u30ff々A-Za-z]"  # kanji, katakana, Latin
_IS = r"\s?(?:です|と申します|といいます)"
_SECTION = rf"(?:{_NAME}|[ 　]){{0,12}}(?:課|部|局|係|室|班|センター)の"  # 財政局 税務課の
GREETING = re.compile(rf"(?:(?:{GREETINGS}|hello|hi|hey){BETWEEN}(?:{_SECTION}{_NAME}{{1,8}}{_IS}{BETWEEN})?"
                      rf"|はじめまして{BETWEEN}(?:{_SECTION})?{_NAME}{{1,8}}{_IS}{BETWEEN})(?:{PLEASANTRY}{BETWEEN})*",
                      re.IGNORECASE)
# About the bot itself, however it is put: 「あなたは誰？」「このボットって何ができるんですか？」
_BOT = r"(この|その)?\s*(ボット|bot|チャットボット|あなた|君|きみ)\s*(って|は|に|で)?\s*"
_WHAT_IT_DOES = (r"(何|なに)(が|を)?\s*(質問|相談)?\s*(でき(る|ます)|出来(る|ます)|してくれ(る|ます)|聞け(る|ます)|"
                 r"頼め(る|ます))(の|んですか|んでしょうか|のですか|か)?")
_ABOUT_THE_BOT = rf"({_BOT})?{_WHAT_IT_DOES}|{_BOT}(誰|だれ|何|なに|何者|なにもの)(です|でしょう)?(か)?"
WHO_ARE_YOU = re.compile(rf"\s*(?:{PLEASANTRY}[\s、。,]*)?({_ABOUT_THE_BOT}"
                         r"|who\s+are\s+you|what\s+can\s+you\s+do(\s+for\s+me)?|what\s+is\s+this\s+bot)"
                         r"[\s?？!！。.…]*", re.IGNORECASE)
# Thanks, in one phrase or several: 「ありがとうございました！助かりました」
_THANK = (r"(本当に|ほんとに|とても)?(ありがとう(ございます|ございました)?|どうも(ありがとう)?|助かりました|助かります|"
          r"ありがと|サンキュー|感謝(します|いたします)|了解(です|しました)?|承知(です|しました|いたしました)|"
          r"わかりました|分かりました|thanks?(\s+you)?(\s+so\s+much)?|thx|ty|"
          r"thank\s+you(\s+very\s+much)?|great|got\s+it)")
# Thanks, with the workplace pleasantries around them (「お疲れ様です。ありがとうございました」).
THANKS = re.compile(rf"\s*(?:(?:{PLEASANTRY}){BETWEEN})*(?:{_THANK}{BETWEEN})+(?:(?:{PLEASANTRY}){BETWEEN})*",
                    re.IGNORECASE)


class ShowHelp(CardData):
    """The help button carries nothing but its verb."""


def help_data(turn: Turn) -> dict:
    t = turn.t
    examples = [{"title": t["example"], "value": t[k]} for k in ("ex_share", "ex_deadline", "ex_leader", "ex_proposal")]
    commands = [{"title": t["cmd_help"], "value": t["cmd_help_value"]},
                {"title": t["cmd_proposal"], "value": t["cmd_proposal_value"]},
                {"title": t["cmd_my_proposals"], "value": t["cmd_my_proposals_value"]},
                {"title": t["cmd_training"], "value": t["cmd_training_value"]},
                {"title": t["cmd_leaders"], "value": t["cmd_leaders_value"]},
                {"title": t["cmd_question"], "value": t["cmd_question_value"]},
                {"title": t["cmd_ask"], "value": t["cmd_ask_value"]}]
    return {"text": t, "commands": commands + examples}


def help_card(turn: Turn) -> dict:
    return render("help", help_data(turn))


def welcome_data(turn: Turn) -> dict:
    t = turn.t
    examples = [{"title": t["example"], "value": t[k]} for k in ("ex_share", "ex_deadline", "ex_leader")]
    return {"text": t, "examples": examples, "in_channel": turn.conversation_kind == "channel"}


def welcome_card(turn: Turn) -> dict:
    return render("welcome", welcome_data(turn))


def register(router: Router, clock: Callable[[], float] = time.monotonic) -> None:
    """Help, greetings, thanks, the introduction, and the welcome on install."""

    @router.message("ヘルプ")
    @router.message("help")
    @router.message("使い方")
    @router.message("?")
    async def show_help(turn: Turn) -> None:
        await turn.send_card(help_card(turn), summary=turn.t["help_title"])

    @router.message(GREETING)
    async def greet(turn: Turn) -> None:
        await turn.send_text(turn.t["greeting"])

    @router.message(ONLY_PLEASANTRIES)  # お疲れ様です。よろしくお願いします
    async def greet_at_work(turn: Turn) -> None:
        await turn.send_text(turn.t["greeting_work"])

    @router.message(WHO_ARE_YOU)
    async def introduce(turn: Turn) -> None:
        await turn.send_card(welcome_card(turn), summary=turn.t["welcome_title"])

    @router.message(THANKS)
    async def thanked(turn: Turn) -> None:
        await turn.send_text(turn.t["thanks"])

    # Teams announces an install twice (conversationUpdate with the bot in membersAdded, and
    # installationUpdate), in either order, and sometimes only one of them (an install made
    # through Graph): whichever comes first welcomes, the other finds it done.
    welcomed: dict[str, float] = {}

    async def welcome_once(turn: Turn) -> None:
        now = clock()
        for conversation, at in list(welcomed.items()):
            if now - at > WELCOME_WINDOW_SECONDS:
                del welcomed[conversation]
        if turn.conversation_id in welcomed:
            return
        welcomed[turn.conversation_id] = now
        try:
            await turn.send_card(welcome_card(turn), summary=turn.t["welcome_title"])
        except BaseException:
            del welcomed[turn.conversation_id]  # not welcomed: the other announcement may try
            raise

    @router.conversation_update("membersAdded")
    async def members_added(turn: Turn) -> None:
        if turn.recipient_id in turn.members_added:  # the bot itself joined, not another member
            await welcome_once(turn)

    @router.conversation_update("installed")
    async def installed(turn: Turn) -> None:
        await welcome_once(turn)

    @router.card_action("help.show", ShowHelp)
    async def help_from_card(turn: Turn, data: ShowHelp) -> CardReply:
        return CardReply(card=help_card(turn))
