"""Reviewing proposals: who may, what a status may become, and writing the decision.

Reviewers are the members of the Entra ID groups in DX_PROPOSAL_REVIEWER_GROUP_IDS, asked of
Graph (`POST /users/{id}/checkMemberGroups`, which answers transitive membership) and
remembered for five minutes, so a reviewer's card does not cost a Graph call per click.
https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups

The lifecycle: 受付 → 審査中 → 採用 / 一部採用 / 不採用 / 差し戻し; 採用 and 一部採用 → 実施中 → 完了;
差し戻し → 審査中 (resubmitted). A decision needs a reason, 完了 needs the hours actually saved;
anything else is refused with a message. A status changed meanwhile (in the list, by another
reviewer) is a conflict, not an overwrite: the write carries the eTag read.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol, Sequence

from bot.ownership import writes
from bot.proposals.numbering import JST
from bot.proposals.similar import PROPOSALS_LIST
from config.clock import Clock, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Outcome, StoreError, Upsert

if TYPE_CHECKING:
    from liststore.sharepoint.transport import GraphTransport

logger = logging.getLogger(__name__)

NEXT: dict[str, tuple[str, ...]] = {
    "受付": ("審査中",),
    "審査中": ("採用", "一部採用", "不採用", "差し戻し"),
    "採用": ("実施中",),
    "一部採用": ("実施中",),
    "実施中": ("完了",),
    "差し戻し": ("審査中",),
    "不採用": (),
    "完了": (),
}
DECISIONS = frozenset({"採用", "一部採用", "不採用", "差し戻し"})
RETURNED, UNDER_REVIEW = "差し戻し", "審査中"
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


@dataclass(frozen=True, slots=True)
class Decision:
    """What a review click asks for."""

    to: str
    reason: str = ""
    actual_hours: str = ""


@dataclass(frozen=True, slots=True)
class Reviewed:
    """The item after a review (or as it was, with why nothing changed: a message key)."""

    item: Item | None
    refused: str | None = None


class ReviewDesk:
    """Checks reviewers and writes decisions."""

    def __init__(self, store: ListStore, membership: Membership, group_ids: Sequence[str],
                 clock: Clock = utc_now, monotonic: Callable[[], float] = time.monotonic, *,
                 on_change: Callable[[Item, str], Awaitable[None]] | None = None,
                 channel: str | None = None) -> None:
        """`on_change(item, status before)` hears of every status this desk writes; `channel` is
        the reviewers' Teams channel (whoever is in it may read the cards posted there)."""
        self.channel = channel
        self._store, self._membership, self._groups = store, membership, tuple(group_ids)
        self._on_change = on_change
        self._clock, self._monotonic = clock, monotonic
        self._known: dict[str, tuple[float, bool]] = {}

    async def is_reviewer(self, user_id: str) -> bool:
        if not self._groups or not user_id:
            return False
        now = self._monotonic()
        known = self._known.get(user_id)
        if known is not None and now - known[0] < REMEMBER_SECONDS:
            return known[1]
        try:
            answer = bool(await self._membership.member_of(user_id, self._groups))
        except StoreError:
            logger.warning("reviewer check failed; treated as not a reviewer this time", exc_info=True)
            return False
        self._known[user_id] = (now, answer)
        return answer

    async def proposal(self, number: str) -> Item | None:
        return await self._store.get(PROPOSALS_LIST, number)

    async def decide(self, number: str, decision: Decision, reviewer_id: str) -> Reviewed:
        if not await self.is_reviewer(reviewer_id):
            return Reviewed(None, "p_not_reviewer")
        item = await self._store.get(PROPOSALS_LIST, number)
        if item is None:
            return Reviewed(None, "card_expired")
        current = str(item.fields.get("Status") or "受付")
        if decision.to not in NEXT.get(current, ()):
            return Reviewed(item, "p_bad_transition")
        fields: dict[str, object] = {"Status": decision.to}
        reason = decision.reason.strip()
        if decision.to in DECISIONS:
            if not reason:
                return Reviewed(item, "p_reason_needed")
            fields["ReviewComment"] = reason[:2000]
            fields["ReviewedAt"] = self._clock().astimezone(JST).date().isoformat()
        elif reason:
            fields["ReviewComment"] = reason[:2000]
        if decision.to == "完了":
            hours = _hours(decision.actual_hours)
            if hours is None:
                return Reviewed(item, "p_actual_needed")
            fields["ActualHoursSaved"] = hours
        writes(PROPOSALS_LIST, fields, Owner.DIVISION)  # the review card acts for the division
        [result] = await self._store.upsert(PROPOSALS_LIST, [Upsert(number, fields, if_match=item.etag)])
        if result.outcome is Outcome.CONFLICT:
            return Reviewed(await self._store.get(PROPOSALS_LIST, number), "p_changed_meanwhile")
        if not result.ok:
            raise RuntimeError(f"review of {number}: {result.outcome}: {result.error}")
        logger.info("proposal %s: %s -> %s", number, current, decision.to)
        after = await self._store.get(PROPOSALS_LIST, number)
        if after is not None and self._on_change is not None:
            await self._on_change(after, current)
        return Reviewed(after)


def _hours(typed: str) -> float | None:
    import unicodedata

    folded = unicodedata.normalize("NFKC", typed).strip().replace(",", "").removesuffix("時間").strip()
    if not re.fullmatch(r"\d+(?:\.\d+)?", folded):
        return None  # not a plain non-negative number (no sign, no exponent, no NaN)
    value = float(folded)
    return value if value <= 1_000_000 else None
