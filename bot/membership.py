"""Who belongs to a set of Entra ID groups (reviewers, experts): asked of Graph with
`POST /users/{id}/checkMemberGroups`, which answers transitive membership, and remembered for
five minutes, so a card does not cost a Graph call per click.
https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from liststore import StoreError

if TYPE_CHECKING:
    from liststore.sharepoint.transport import GraphTransport

logger = logging.getLogger(__name__)

REMEMBER_SECONDS = 300.0


class Membership(Protocol):
    async def member_of(self, user_id: str, group_ids: Sequence[str]) -> set[str]:
        """The groups of `group_ids` the user belongs to (directly or through other groups)."""
        ...


class KnownMembership:
    """Membership known in advance: the twin of Graph's, and what runs without Graph."""

    def __init__(self, members: dict[str, set[str]] | None = None) -> None:
        self._members = members or {}

    async def member_of(self, user_id: str, group_ids: Sequence[str]) -> set[str]:
        return self._members.get(user_id, set()) & set(group_ids)


class GraphMembership:
    """`checkMemberGroups` through the Graph transport (retries, throttling, typed errors)."""

    def __init__(self, transport: GraphTransport) -> None:
        self._transport = transport

    async def member_of(self, user_id: str, group_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(group_ids), 20):  # the API takes 20 ids a call
            _, _, body = await self._transport.call(
                "POST", f"/users/{user_id}/checkMemberGroups", {"groupIds": list(group_ids[start:start + 20])},
                what="check reviewer membership")
            found.update(str(g) for g in body.get("value", []))
        return found


class GroupCheck:
    """Membership of one set of groups, remembered a while per person."""

    def __init__(self, membership: Membership, group_ids: Sequence[str],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._membership, self._groups, self._monotonic = membership, tuple(group_ids), monotonic
        self._known: dict[str, tuple[float, bool]] = {}

    async def includes(self, user_id: str) -> bool:
        """Whether the user (an Entra object id) is in one of the groups; no groups: nobody is."""
        if not self._groups or not user_id:
            return False
        now = self._monotonic()
        known = self._known.get(user_id)
        if known is not None and now - known[0] < REMEMBER_SECONDS:
            return known[1]
        try:
            answer = bool(await self._membership.member_of(user_id, self._groups))
        except StoreError:
            logger.warning("group membership check failed; treated as not a member this time", exc_info=True)
            return False
        self._known[user_id] = (now, answer)
        return answer
