"""Reviewing proposals: who may, what a status may become, and writing the decision.

Reviewers are the members of the Entra ID groups in DX_PROPOSAL_REVIEWER_GROUP_IDS
(bot/membership.py: asked of Graph, remembered five minutes).

The lifecycle: 受付 → 審査中 → 採用 / 一部採用 / 不採用 / 差し戻し; 採用 and 一部採用 → 実施中 → 完了;
差し戻し → 審査中 (resubmitted). A decision needs a reason, 完了 needs the hours actually saved;
anything else is refused with a message. A status changed meanwhile (in the list, by another
reviewer) is a conflict, not an overwrite: the write carries the eTag read.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

from bot.membership import GroupCheck
from bot.ownership import writes
from bot.proposals.numbering import JST
from bot.proposals.similar import PROPOSALS_LIST
from config.clock import Clock, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Outcome, Upsert

if TYPE_CHECKING:
    pass

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

    def __init__(self, store: ListStore, reviewers: GroupCheck, clock: Clock = utc_now, *,
                 on_change: Callable[[Item, str], Awaitable[None]] | None = None,
                 channel: str | None = None) -> None:
        """`on_change(item, status before)` hears of every status this desk writes; `channel` is
        the reviewers' Teams channel (whoever is in it may read the cards posted there)."""
        self.channel = channel
        self._store, self._reviewers = store, reviewers
        self._on_change = on_change
        self._clock = clock

    async def is_reviewer(self, user_id: str) -> bool:
        return await self._reviewers.includes(user_id)

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
