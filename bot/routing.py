"""Routing by roster: a question goes first to the DX leaders of the asker's own section.

Each section has its leaders (デジタル行政推進リーダー, one per section, and the advisors and DX
promotion leaders who work there) in the LeaderRoster list, which the sync keeps from the HR
export and the Entra ID groups. They know the section's work, so a colleague's question is
theirs to answer first; the experts' channel gets it when none of them takes it in time
(bot/ticket_posts.py, bot/reminders.py).

Teams lets a bot write only to people who have it installed, so a leader is asked only when the
bot knows them: their e-mail seen in one of their own turns (`Directory.key_of`) and a personal
chat it can write to. The asker is never routed their own question.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.conversations import ConversationStore
from bot.proposals.watch import personal_reference
from liststore import ListStore, StoreError

logger = logging.getLogger(__name__)

ROSTER_LIST = "LeaderRoster"
SERVING = "在籍"  # 状態 of a leader still in that role (異動 and 退任 are not asked)

KeyOf = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Leader:
    """A leader the bot can write to."""

    name: str
    key: str


class LeaderRouting:
    """The reachable leaders of a section."""

    def __init__(self, store: ListStore, key_of: KeyOf, conversations: ConversationStore) -> None:
        self._store, self._key_of, self._conversations = store, key_of, conversations

    async def leaders(self, section: str | None, bureau: str | None, asker: str) -> list[Leader]:
        """The serving leaders of `section` (in `bureau`: section names repeat across bureaus)
        the bot can write to, other than the asker; [] when none (the channel takes the question)."""
        if not section:
            return []
        try:
            roster = await self._store.query(ROSTER_LIST, "Section", section)
        except StoreError:
            logger.warning("the LeaderRoster list cannot be read; the question goes to the channel")
            return []
        found: list[Leader] = []
        for item in sorted(roster, key=lambda i: i.key):
            f = item.fields
            if f.get("RosterStatus") != SERVING or (bureau and f.get("Bureau") and f.get("Bureau") != bureau):
                continue
            key = await self._key_of(str(f.get("Email") or "")) if f.get("Email") else None
            if not key or key == asker or any(leader.key == key for leader in found):
                continue
            if await personal_reference(self._conversations, key) is None:
                continue
            found.append(Leader(str(f.get("Title") or ""), key))
        return found
