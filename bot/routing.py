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
from bot.roster import section_leaders
from liststore import ListStore
from liststore.errors import NotProvisionedError

logger = logging.getLogger(__name__)

KeyOf = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Leader:
    """A leader the bot can write to."""

    name: str
    key: str
    staff_number: str


class LeaderRouting:
    """The reachable leaders of a section."""

    def __init__(self, store: ListStore, key_of: KeyOf, conversations: ConversationStore) -> None:
        self._store, self._key_of, self._conversations = store, key_of, conversations

    async def leaders(self, section: str | None, bureau: str | None, asker: str) -> list[Leader]:
        """The serving leaders of `section` (in `bureau`: section names repeat across bureaus)
        the bot can write to, other than the asker; [] when none (the channel takes the question).
        Without the bureau there are none: a section name alone may be another bureau's."""
        if not section or not bureau:
            return []
        try:
            roster = await section_leaders(self._store, section, bureau)
        except NotProvisionedError:
            logger.warning("there is no LeaderRoster list; questions go to the channel")
            return []  # a list that cannot be read now raises: the ticket is tried again later
        found: list[Leader] = []
        for leader in roster:
            key = await self._key_of(leader.email) if leader.email else None
            if not key or key == asker or any(f.key == key for f in found):
                continue
            if await personal_reference(self._conversations, key) is None:
                continue
            found.append(Leader(leader.name, key, leader.staff_number))
        return found
