"""One reminder before a required course's deadline, to staff who have not completed it.

Off unless DX_TRAINING_NUDGES is on. From `days_before` (config/training.toml) until the
deadline, anyone serving (在職, 在籍) with a required course of this fiscal year not yet 修了 gets
one message in their personal chat naming those courses: one per person and deadline, keyed so
that a restart, a second sweep the same day or two bot instances never send it twice. Messages
go through the outbox and the Notifier, which keeps within Teams' limits.

Teams lets the bot write only to people who have it installed: a person is reminded once the
bot knows their e-mail from one of their turns. `dx-bot training nudges` lists who would be
reminded, and whether the bot can reach them, without sending anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from bot.conversations import ConversationStore
from bot.notify import Notifier, deliver
from bot.outbox import Handler, Undeliverable
from bot.periodic import every
from bot.proposals.watch import personal_reference
from bot.state import BotState, Work
from bot.training.records import COMPLETIONS, DONE, TrainingRecords, staff_of
from config.clock import JST, fiscal_year_of
from liststore import ListStore

if TYPE_CHECKING:
    from tabular.reports import Document

logger = logging.getLogger(__name__)

NUDGE = "training.nudge"
SWEPT = ("training", "nudges-swept")  # bot state: the last day a sweep ran to the end
NUDGED = "training-nudged"  # bot state space: "staff number:deadline" -> the day it was enqueued
STAFF_LIST = "Staff"
SERVING = "在職"

KeyOf = Callable[[str], Awaitable[str | None]]
# Renders the reminder: (name, [(course name, deadline)]) -> text.
NudgeText = Callable[[str, list[tuple[str, date]]], str]


@dataclass(frozen=True, slots=True)
class Nudge:
    """Someone to remind of the required courses due on one day."""

    staff_number: str
    name: str
    section: str
    email: str
    deadline: date
    courses: tuple[str, ...]  # course names
    to: str | None = None  # their key, when they have talked to the bot (else they cannot be reached)

    @property
    def reachable(self) -> bool:
        return self.to is not None


class TrainingNudges:
    def __init__(self, store: ListStore, state: BotState, notifier: Notifier | None, records: TrainingRecords,
                 key_of: KeyOf, text: NudgeText) -> None:
        self._store, self._state, self._notifier, self._records = store, state, notifier, records
        self._key_of, self._text = key_of, text

    async def due(self, today: date | None = None) -> list[Nudge]:
        """Who is to be reminded on `today` (default: today in Japan), whether or not the bot
        can reach them."""
        today = today or self._records.today()
        before = timedelta(days=self._records.config.nudges.days_before)
        courses = await self._records.courses()
        # Late in March the window already reaches deadlines of the fiscal year to come.
        due = {(code, deadline): course.name for year in (fiscal_year_of(today), fiscal_year_of(today) + 1)
               for code, course in courses.items()
               if (deadline := self._records.deadline(course, year)) and deadline - before <= today < deadline}
        if not due:
            return []
        done: set[tuple[str, str]] = set()
        async for page in self._store.pages(COMPLETIONS):
            done.update((str(i.fields.get("StaffNumber")), str(i.fields.get("CourseCode")))
                        for i in page if i.fields.get("Status") == DONE)
        serving = [item async for page in self._store.pages(STAFF_LIST) for item in page
                   if item.fields.get("IsActive") is not False
                   and item.fields.get("EmploymentStatus") in (None, SERVING) and item.fields.get("Email")]
        # An address two rows share reaches one person: reminding them of the other's courses
        # would tell them someone else's record. Such rows are left out until the list is fixed.
        shared = {a for a, n in Counter(str(i.fields["Email"]).strip().lower() for i in serving).items() if n > 1}
        if shared:
            logger.warning("training reminders: %d e-mail address(es) belong to more than one staff row; "
                           "those staff are not reminded", len(shared))
        found: list[Nudge] = []
        for item in serving:
            email = str(item.fields["Email"])
            if email.strip().lower() in shared:
                continue
            staff = staff_of(item)
            owed: dict[date, list[str]] = defaultdict(list)
            for (code, deadline), name in sorted(due.items()):
                if (staff.staff_number, code) not in done:
                    owed[deadline].append(name)
            key = await self._key_of(email) if owed else None
            for deadline, names in sorted(owed.items()):
                found.append(Nudge(staff.staff_number, staff.name, staff.section or "", email, deadline,
                                   tuple(names), key))
        return sorted(found, key=lambda n: (n.deadline, n.staff_number))

    async def run_once(self, today: date | None = None) -> int:
        """Enqueue today's reminders for everyone the bot can reach; how many were new. Each
        person and deadline is remembered in the bot state (never forgotten, unlike the
        outbox's keys), so a long reminder window never reminds twice."""
        today = today or self._records.today()
        reminded = await self._state.values(NUDGED)
        work: list[Work] = []
        values: dict[tuple[str, str], str] = {}
        for nudge in await self.due(today):
            marker = f"{nudge.staff_number}:{nudge.deadline.isoformat()}"
            if nudge.to is None or marker in reminded:
                continue
            values[(NUDGED, marker)] = today.isoformat()
            work.append(Work(f"nudge:{marker}", NUDGE, {
                "to": nudge.to, "name": nudge.name, "courses": list(nudge.courses),
                "deadline": nudge.deadline.isoformat()}))
        values[SWEPT] = today.isoformat()  # last: a commit too large for one transaction lands in order
        # The outbox runs on the wall clock, whatever day the records are read for.
        added = await self._state.commit(work=work, values=values, now=time.time())
        sent = sum(added)
        if sent:
            logger.info("training reminders: %d enqueued", sent)
        return sent

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Sweep once a day (checked every `interval` seconds) until `stop`."""

        async def daily() -> None:
            # In working hours: a reminder is not a message to wake anyone at midnight.
            now = self._records.clock().astimezone(JST)
            if now.hour >= self._records.config.nudges.hour and \
                    await self._state.value(*SWEPT) != now.date().isoformat():
                await self.run_once(now.date())

        await every(interval, stop, daily, "the training reminders' sweep")

    def handlers(self, conversations: ConversationStore) -> dict[str, Handler]:
        async def nudge(_key: str, payload: Mapping[str, Any]) -> None:
            reference = await personal_reference(conversations, str(payload["to"]))
            if reference is None:
                raise Undeliverable("the person cannot be reached")
            deadline = date.fromisoformat(str(payload["deadline"]))
            text = self._text(str(payload["name"]), [(str(c), deadline) for c in payload["courses"]])
            await deliver(self._notifier, reference, {"type": "message", "text": text}, "a training reminder")

        return {NUDGE: nudge}


def document(nudges: list[Nudge], today: date) -> "Document":
    """Who would be reminded, as tabular/reports.py writes it (`dx-bot training nudges`)."""
    from tabular.reports import Document, Table

    rows = [[f"{n.deadline:%Y/%m/%d}", n.staff_number, n.name, n.section, "、".join(n.courses),
             "はい" if n.reachable else "いいえ（ボットと話したことがない）"] for n in nudges]
    reachable = sum(n.reachable for n in nudges)
    return Document("研修のリマインド（送信前の確認）",
                    [("基準日", f"{today:%Y/%m/%d}"), ("対象者", str(len(nudges))), ("届けられる人", str(reachable))],
                    [Table("リマインドする人", ["期限", "職員番号", "氏名", "所属課", "未修了の必須研修", "届けられる"],
                           rows)],
                    note="期限が近く、まだ修了していない必須研修がある職員です。何も送っていません。")
