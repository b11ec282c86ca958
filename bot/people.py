"""Who is asking: the Teams user behind a turn, as the Staff list knows them.

Teams gives a turn the sender's channel id and Entra object id, not their e-mail. The Bot
Connector's member lookup (`MemberLookup`; GET /v3/conversations/{id}/members/{userId}) adds
the e-mail and UPN, and the Staff list, synced nightly from the HR export, maps those to a staff
number, name, section and bureau. One `Directory` does this for every feature and remembers
the answer for a while, so a conversation costs one lookup, not one per turn.

Someone the Staff list does not know (a new hire before the next sync, a contractor) is still
an `Asker`, with `staff` None: features decide what that means for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

from liststore import ListStore, StoreError

if TYPE_CHECKING:
    from bot.state import BotState
    from bot.turn import Turn

logger = logging.getLogger(__name__)

STAFF_LIST = "Staff"
ADDRESSES = "people:email"  # bot state: e-mail (lower case) -> the person's key
REMEMBER_SECONDS = 900.0  # a section change reaches the bot within this after the nightly sync


@dataclass(frozen=True, slots=True)
class Member:
    """What the Bot Connector says of a conversation member (TeamsChannelAccount)."""

    id: str
    aad_object_id: str | None = None
    name: str | None = None
    email: str | None = None
    user_principal_name: str | None = None


class MemberLookup(Protocol):
    """The Bot Connector's member lookup (the edge implements it; tests and the terminal chat
    use `KnownMembers`)."""

    async def member(self, service_url: str, conversation_id: str, user_id: str) -> Member | None:
        """The member, or None when the channel does not know them (or cannot be asked now)."""
        ...


class KnownMembers:
    """Members known in advance, by channel user id: the twin of the Bot Connector lookup."""

    def __init__(self, *members: Member) -> None:
        self._members = {m.id: m for m in members}

    async def member(self, service_url: str, conversation_id: str, user_id: str) -> Member | None:
        return self._members.get(user_id)


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """One person of the Staff list."""

    staff_number: str
    name: str
    email: str | None
    section: str | None
    bureau: str | None


@dataclass(frozen=True, slots=True)
class Asker:
    """The person behind a turn."""

    key: str  # the Entra object id when Teams gives it, else the channel's user id
    name: str | None
    email: str | None
    staff: StaffRecord | None

    @property
    def display_name(self) -> str:
        return (self.staff.name if self.staff else None) or self.name or self.email or self.key


class Directory:
    """Turn → `Asker`, through the member lookup and the Staff list, remembered a while."""

    def __init__(self, store: ListStore, members: MemberLookup | None,
                 clock: Callable[[], float] = time.monotonic, remember: float = REMEMBER_SECONDS,
                 state: BotState | None = None) -> None:
        """`state`: where to remember whose e-mail is whose (`key_of`), across restarts."""
        self._store, self._members, self._state = store, members, state
        self._clock, self._remember = clock, remember
        self._known: dict[str, tuple[float, Asker]] = {}
        self._learning: set[asyncio.Task[None]] = set()

    async def asker(self, turn: Turn) -> Asker:
        key = turn.sender.key
        now = self._clock()
        known = self._known.get(key)
        if known is not None and now - known[0] < self._remember:
            return known[1]
        asker = await self._look_up(turn)
        if asker.email and self._state is not None:
            address = asker.email.lower()
            if await self._state.value(ADDRESSES, address) != asker.key:
                await self._state.commit(values={(ADDRESSES, address): asker.key}, now=time.time())
        if asker.staff is not None or asker.email is None:
            # Someone not (yet) in the Staff list is looked up again next turn: the sync may
            # have added them meanwhile. Someone whose e-mail could not be had is not.
            self._known[key] = (now, asker)
        return asker

    def learn(self, turn: Turn) -> None:
        """Look the sender up in the background when they are not known yet (so that, named as a
        co-proposer by e-mail, they can be told too); never delays the turn."""
        known = self._known.get(turn.sender.key)
        if (known is not None and self._clock() - known[0] < self._remember) or self._state is None:
            return
        task = asyncio.create_task(self._learn(turn))
        self._learning.add(task)
        task.add_done_callback(self._learning.discard)

    async def _learn(self, turn: Turn) -> None:
        try:
            await self.asker(turn)
        except Exception:  # noqa: BLE001 - learning is a courtesy; the turn has its answer
            logger.info("could not look up a sender in the background", exc_info=True)

    async def close(self) -> None:
        """Let lookups in flight finish or stop."""
        for task in list(self._learning):
            task.cancel()
        await asyncio.gather(*self._learning, return_exceptions=True)

    async def key_of(self, address: str) -> str | None:
        """The key of the person with this e-mail, when they have talked to the bot."""
        if self._state is None:
            return None
        key = await self._state.value(ADDRESSES, address.strip().lower())
        return str(key) if key else None

    async def _look_up(self, turn: Turn) -> Asker:
        member = None
        if self._members is not None:
            try:
                member = await self._members.member(turn.activity.service_url, turn.conversation_id,
                                                    turn.sender.id)
            except Exception:  # noqa: BLE001 - who is asking is a nicety; the turn goes on without it
                logger.warning("member lookup failed: conversation=%s", turn.conversation_id, exc_info=True)
        name = (member.name if member else None) or turn.sender.name
        addresses = [a for a in ((member.email, member.user_principal_name) if member else ()) if a]
        staff = await self._staff(addresses)
        return Asker(turn.sender.key, name, addresses[0] if addresses else None, staff)

    async def _staff(self, addresses: list[str]) -> StaffRecord | None:
        tried: set[str] = set()
        for address in addresses:
            for candidate in (address, address.lower()):
                if candidate in tried:
                    continue
                tried.add(candidate)
                try:
                    found = await self._store.query(STAFF_LIST, "Email", candidate)
                except StoreError:
                    logger.warning("staff lookup failed (is the Staff list provisioned?)", exc_info=True)
                    return None
                active = [i for i in found if i.fields.get("IsActive") is not False]
                if len(active) > 1:
                    # Two people cannot be told apart by this address: neither is assumed (their
                    # records are personal). The division fixes the Staff list's e-mail column.
                    logger.warning("an e-mail address matches %d active rows of the Staff list; "
                                   "the person is treated as not found", len(active))
                    return None
                if active:
                    f = active[0].fields
                    return StaffRecord(active[0].key, str(f.get("Title") or ""), f.get("Email"),
                                       f.get("Section"), f.get("Bureau"))
        return None
