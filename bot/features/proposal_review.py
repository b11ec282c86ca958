"""Reviewing proposals from the reviewers' channel: the card each viewer sees (refreshed per
person) and the reviewers' status buttons."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.features.proposals import ProposalRef
from bot.proposals.desk import RECEIVED
from bot.proposals.form import hours_text
from bot.proposals.review import NEXT, Decision, ReviewDesk
from bot.router import Router
from bot.turn import CardReply, Turn
from cards import inert, render
from liststore import Item


class ReviewClick(ProposalRef):
    """A reviewer's status button, with the card's reason and hours inputs."""

    to: str = Field(min_length=1, max_length=20)
    reason: Any = None
    actual_hours: Any = None


def review_data(t: Any, item: Item, reviewer: bool, notice: str = "") -> dict[str, Any]:
    """A proposal as the review card shows it; `reviewer`: with the buttons its status allows."""
    f = item.fields
    status = str(f.get("Status") or RECEIVED)
    proposer = "・".join(str(v) for v in (f.get("ProposerName"), f.get("Section"), f.get("Bureau")) if v)
    hours = f.get("EstimatedHoursSaved")
    nexts = NEXT.get(status, ()) if reviewer else ()
    return {"text": t, "number": item.key, "title": inert(str(f.get("Title") or "")), "kind": str(f.get("Kind") or ""),
            "category": str(f.get("Category") or ""), "proposer": inert(proposer) or "-",
            "hours": "-" if hours is None else hours_text(hours), "supports": str(f.get("SupportCount") or 0),
            "status": status, "problem": inert(str(f.get("Problem") or "")), "idea": inert(str(f.get("Idea") or "")),
            "effect": inert(str(f.get("ExpectedEffect") or "")), "comment": inert(str(f.get("ReviewComment") or "")),
            "notice": notice, "read_only": not reviewer, "show_reason": bool(nexts),
            "show_actual": "完了" in nexts,
            "transitions": [{"to": s, "title": t["p_to"].format(status=s)} for s in nexts]}



def register(router: Router, review: ReviewDesk) -> None:
    """The review card's refresh and buttons."""

    async def may_see(turn: Turn, item: Item) -> bool:
        """Reviewers, the proposer and co-proposers, and anyone in the reviewers' channel."""
        me = turn.sender.key
        people = {str(item.fields.get("ProposerId") or "")}
        people |= {p.strip() for p in str(item.fields.get("CoProposerIds") or "").split(",")}
        return me in people or turn.is_in(review.channel) or await review.is_reviewer(turn.sender.aad_object_id or "")

    @router.card_action("proposal.refresh", ProposalRef)
    async def refresh(turn: Turn, data: ProposalRef) -> CardReply:
        item = await review.proposal(data.number)
        if item is None:
            return CardReply(text=turn.t["p_card_expired"])
        if not await may_see(turn, item):
            return CardReply(text=turn.t["p_not_visible"])
        reviewer = await review.is_reviewer(turn.sender.aad_object_id or "")
        return CardReply(card=render("proposal_review", review_data(turn.t, item, reviewer)))

    @router.card_action("proposal.review", ReviewClick)
    async def decide(turn: Turn, data: ReviewClick) -> CardReply:
        decision = Decision(data.to, str(data.reason or ""), str(data.actual_hours or ""))
        outcome = await review.decide(data.number, decision, turn.sender.aad_object_id or "")
        if outcome.item is None:
            return CardReply(text=turn.t[outcome.refused or "p_card_expired"])
        notice = turn.t[outcome.refused] if outcome.refused else turn.t["p_decided"].format(status=data.to)
        reviewer = outcome.refused != "p_not_reviewer"
        return CardReply(card=render("proposal_review", review_data(turn.t, outcome.item, reviewer, notice)))
