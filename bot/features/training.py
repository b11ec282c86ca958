"""「受講状況」: one's own training record; 「リーダーは誰」: whom to ask in one's section.

A training record is personal: it is shown only in the person's own chat with the bot, and only
their own (found through their e-mail in the Staff list, bot/people.py). The DX division
(members of DX_ADMIN_GROUP_IDS) may look up anyone with 「受講状況 職員番号」; each such lookup is
recorded in the AccessLog list first (who, whose, when).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date
from typing import Mapping
from urllib.parse import quote

from bot.membership import GroupCheck
from bot.people import Directory
from bot.roster import RosterLeader, bureau_leaders, section_leaders
from bot.router import Router
from bot.training.audit import AccessLog, NotLogged
from bot.training.records import DONE, IN_PROGRESS, CourseLine, TrainingRecord, TrainingRecords, staff_of
from bot.turn import Turn
from cards import inert, render
from liststore import ListStore

logger = logging.getLogger(__name__)

MY_TRAINING = ("受講状況", "自分の受講状況", "私の受講状況", "わたしの受講状況", "研修の受講状況", "受講履歴",
               "自分の研修", "my training", "training status")
# 「受講状況 001234」 (digits in either width, with or without a space or colon)
# (five digits at least: 「受講状況 2025」 is a year, not a person)
LOOKUP = re.compile(r"\s*受講状況[\s:：]*([0-9０-９]{5,10})[\s。．.]*")
_WHO = r"(は(誰|だれ|どなた)(です(か)?)?|を教えて(ください)?|を知りたい)?"
_LEADER = r"([DdＤｄ][XxＸｘ]\s*(推進)?|デジタル行政推進)?(リーダー|アドバイザー)"
LEADERS = re.compile(rf"\s*(((自分|私|わたし|うち)の)?(課の)?\s*({_LEADER}|相談先){_WHO}"
                     r"|who(\s+is|'s)\s+my\s+(section'?s\s+)?(dx\s+)?leaders?|my\s+leaders?)[\s?？。.!！]*",
                     re.IGNORECASE)
STAFF_LIST = "Staff"
NOT_A_LEADER_TIER = "デジタル行政推進リーダー"  # another section's: not theirs to ask


def _day(day: date) -> str:
    return f"{day:%Y/%m/%d}"


def _status(t: Mapping[str, str], line: CourseLine) -> str:
    if line.status == DONE:
        return t["tr_done"].format(day=_day(line.completed_on)) if line.completed_on else t["tr_done_undated"]
    if line.status == IN_PROGRESS:
        return (t["tr_in_progress"].format(progress=line.progress) if line.progress is not None
                else t["tr_in_progress_plain"])
    return t["tr_not_started"]


def _due(t: Mapping[str, str], line: CourseLine, today: date) -> str:
    assert line.deadline is not None
    left = (line.deadline - today).days
    status = _status(t, line)
    if left < 0:
        return t["tr_overdue"].format(day=_day(line.deadline), status=status)
    if left == 0:
        return t["tr_due_today"].format(day=_day(line.deadline), status=status)
    return t["tr_due"].format(day=_day(line.deadline), days=left, status=status)


def training_data(t: Mapping[str, str], record: TrainingRecord) -> dict:
    staff = record.staff
    who = "・".join(v for v in (staff.staff_number, staff.section, staff.bureau) if v)
    # Past its deadline: in the warning color.
    due = [{"name": inert(c.name), "value": _due(t, c, record.today),
            "color": "Attention" if c.deadline and c.deadline < record.today else "Default"} for c in record.due]
    courses = [{"name": inert(c.name), "value": _status(t, c)} for c in record.courses]
    cert = record.certification
    certification = ""
    if cert is not None:
        certification = (t["tr_certified"].format(tier=cert.tier, cohort=cert.cohort, day=_day(cert.certified_on))
                         if cert.cohort and cert.certified_on else t["tr_certified_plain"].format(tier=cert.tier))
    return {"text": t, "title": t["tr_title"].format(name=inert(staff.name), year=record.fiscal_year),
            "who": inert(who), "due": due, "no_due": not due,
            "courses": courses, "has_courses": bool(courses), "no_courses": not courses,
            "certification": inert(certification)}


def chat_link(email: str, message: str) -> str:
    """A Teams deep link that opens a chat with this person, a message ready to edit.
    https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/deep-link-teams"""
    return f"https://teams.microsoft.com/l/chat/0/0?users={quote(email, safe='@')}&message={quote(message)}"


def leaders_data(t: Mapping[str, str], section: str, bureau: str, in_section: list[RosterLeader],
                 in_bureau: list[RosterLeader]) -> dict:
    note = ""
    if not in_section:
        note = (t["ld_none_in_section"] if in_bureau else t["ld_none"]).format(section=section, bureau=bureau)
    leaders = [{"name": inert(r.name), "role": inert(t["ld_role"].format(tier=r.tier, section=r.section or r.bureau)),
                "expertise": inert(r.expertise), "chat": chat_link(r.email, t["ld_chat_message"]) if r.email else ""}
               for r in (*in_section, *in_bureau)]
    return {"text": t, "title": t["ld_title"].format(section=inert(section)), "note": inert(note),
            "leaders": leaders}


def register(router: Router, people: Directory, records: TrainingRecords, store: ListStore, admins: GroupCheck,
             access_log: AccessLog) -> None:
    """One's own training record, the division's lookup of anyone's, and one's leaders."""

    async def show(turn: Turn, record: TrainingRecord, note: str = "") -> None:
        card = render("my_training", training_data(turn.t, record))
        if note:
            card["body"].append({"type": "TextBlock", "text": note, "wrap": True, "isSubtle": True, "size": "Small"})
        await turn.send_card(card, summary=turn.t["tr_title"].format(name=record.staff.name, year=record.fiscal_year))

    for command in MY_TRAINING:
        @router.message(command)
        async def mine(turn: Turn) -> None:
            if turn.conversation_kind != "personal":
                await turn.send_text(turn.t["tr_personal_only"])
                return
            asker = await people.asker(turn)
            if asker.staff is None:
                await turn.send_text(turn.t["tr_unknown"])
                return
            await show(turn, await records.record_of(asker.staff))

    @router.message(LOOKUP)
    async def lookup(turn: Turn) -> None:
        if turn.conversation_kind != "personal":
            await turn.send_text(turn.t["tr_personal_only"])
            return
        if not await admins.includes(turn.sender.aad_object_id or ""):
            await turn.send_text(turn.t["tr_not_admin"])
            return
        match = LOOKUP.fullmatch(turn.text)
        number = unicodedata.normalize("NFKC", match.group(1)) if match else ""
        item = await store.get(STAFF_LIST, number)
        viewer = await people.asker(turn)
        try:
            log_id = await access_log.looked_up(turn.sender.key, viewer.display_name, number, item is not None)
        except NotLogged as exc:
            logger.warning("a division member's lookup could not be logged, so nothing was shown (%s)", exc)
            await turn.send_text(turn.t["tr_not_logged"])
            return
        logger.info("a division member looked up a training record: audit %s", log_id)
        logged = turn.t["tr_logged"].format(log_id=log_id)
        if item is None:
            await turn.send_text(f"{turn.t['tr_no_such'].format(number=number)}{logged}")
            return
        await show(turn, await records.record_of(staff_of(item)), logged)

    @router.message(LEADERS)
    async def leaders(turn: Turn) -> None:
        asker = await people.asker(turn)
        staff = asker.staff
        if staff is None or not staff.section:
            await turn.send_text(turn.t["ld_unknown"])
            return
        mine = [r for r in await section_leaders(store, staff.section, staff.bureau)
                if r.staff_number != staff.staff_number]
        shown = {r.staff_number for r in mine} | {staff.staff_number}
        others = [r for r in (await bureau_leaders(store, staff.bureau) if staff.bureau else [])
                  if r.staff_number not in shown and r.tier != NOT_A_LEADER_TIER]
        card = render("my_leaders", leaders_data(turn.t, staff.section, staff.bureau or "", mine, others))
        await turn.send_card(card, summary=turn.t["ld_title"].format(section=staff.section))
