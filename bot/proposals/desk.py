"""Filing proposals exactly once, numbering them, and supporting existing ones.

A submitted proposal goes into the outbox with the draft dropped, in one transaction; the
outbox worker files it. Filing is keyed by the submission id, which the item keeps
(SubmissionId, unique): a filing retried after a crash finds its own item instead of making a
second one. Numbers are `<fiscal year>-<running number>`, taken with a create-only write on the
list's unique key, so two bot instances filing at the same moment never share a number.

The proposer learns the number in the card they submitted from when filing takes a few
seconds at most (`wait_filed`); otherwise, when the store was down, the bot tells them later,
in their chat, as soon as it is filed (outbox work `proposals.confirm`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from bot.conversations import ConversationReference
from bot.notify import Notifier, deliver_card
from bot.outbox import Handler, Undeliverable
from bot.ownership import writes
from bot.people import Asker
from bot.proposals.form import Proposal
from bot.proposals.numbering import fiscal_year, number, sequence
from bot.proposals.similar import PROPOSALS_LIST, SimilarProposals
from bot.state import BotState, Work
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import Item, ListStore, Outcome, Upsert

logger = logging.getLogger(__name__)

SUPPORTS_LIST = "ProposalSupports"
DRAFTS = "draft:proposal"  # the state space of proposal drafts, by owner
RECEIVED = "受付"
FILE, CONFIRM, SUPPORT, POST_REVIEW = "proposals.file", "proposals.confirm", "proposals.support", "proposals.review"
RESUBMIT = "proposals.resubmit"
REVISING = "revising:proposal"  # state space: owner -> the returned proposal they are editing
RETURNED, UNDER_REVIEW = "差し戻し", "審査中"
MAX_NUMBER_TRIES = 50
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

# Renders the card that tells a proposer their number: (number, title, locale) -> card.
ConfirmationCard = Callable[[str, str, str | None], Mapping[str, Any]]
# Renders the review card reviewers' channel gets for a new proposal.
ReviewCard = Callable[[Item], Mapping[str, Any]]


class NotFiledYet(Exception):
    """The proposal a confirmation is for has not been filed yet."""


@dataclass
class _Waiter:
    """The turns waiting to show a submission's number."""

    done: asyncio.Event = field(default_factory=asyncio.Event)
    number: str | None = None
    gave_up: bool = False
    waiting: int = 0


class ProposalDesk:
    """Submissions in, numbered items out; support recorded once per person."""

    def __init__(self, store: ListStore, state: BotState, similar: SimilarProposals,
                 notifier: Notifier | None, confirmation: ConfirmationCard, clock: Clock = utc_now, *,
                 review_channel: str | None = None, review_card: ReviewCard | None = None,
                 key_of: Callable[[str], Awaitable[str | None]] | None = None) -> None:
        """`key_of(e-mail)`: the key of a co-proposer who has talked to the bot (to tell them too)."""
        self._key_of = key_of
        self._store, self._state, self._similar = store, state, similar
        self._notifier, self._confirmation, self._clock = notifier, confirmation, clock
        self._review_channel, self._review_card = review_channel, review_card
        self._next: dict[int, int] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._numbering = asyncio.Lock()

    # ---- in a turn -------------------------------------------------------------------------

    async def submit(self, asker: Asker, proposal: Proposal, reference: ConversationReference,
                     locale: str | None) -> str:
        """Put the proposal in the outbox (its draft dropped); returns its submission id, the
        reference a proposer is given until the number is known.

        The id is made of the proposer and what they wrote, so the same proposal sent twice (a
        double click, a replayed request, two devices) is one submission, filed once.
        """
        digest = hashlib.sha256(json.dumps([asker.key, asdict(proposal)], ensure_ascii=False,
                                           sort_keys=True).encode()).hexdigest()
        submission = f"R-{digest[:10].upper()}"
        now = self._clock()
        staff = asker.staff
        fields = {
            "Title": proposal.title, "Kind": proposal.kind, "Category": proposal.category,
            "Problem": proposal.problem, "Idea": proposal.idea, "ExpectedEffect": proposal.effect or None,
            "EstimatedHoursSaved": proposal.hours, "Links": "\n".join(proposal.links) or None,
            "ProposerEmail": asker.email or asker.key, "ProposerName": asker.display_name,
            "ProposerId": asker.key, "StaffNumber": staff.staff_number if staff else None,
            "InStaffList": staff is not None, "CoProposers": proposal.co_proposers or None,
            "Bureau": staff.bureau if staff else None, "Section": staff.section if staff else None,
            "SubmittedAt": iso_seconds(now), "FiscalYear": fiscal_year(now), "SubmissionId": submission,
            "SupportCount": 0, "Status": RECEIVED,
        }
        fields["CoProposerIds"] = ",".join(await self._co_proposers(proposal.co_proposers, asker.key)) or None
        payload = {"submission_id": submission, "fields": fields, "reference": asdict(reference),
                   "locale": locale}
        waiter = self._waiters.get(submission)
        fresh = waiter is None
        if waiter is None:
            waiter = self._waiters[submission] = _Waiter()
        waiter.waiting += 1
        [new] = await self._state.commit(values={(DRAFTS, asker.key): None},
                                         work=[Work(f"proposal:{submission}", FILE, payload)], now=now.timestamp())
        if not new and fresh:
            # Sent before and no turn is waiting for it: filed already, or waiting in the
            # outbox; `wait_filed` reads which from the list.
            self._waiters.pop(submission, None)
        return submission

    async def _co_proposers(self, named: str, proposer: str) -> list[str]:
        """Keys of the co-proposers named by e-mail whom the bot knows."""
        if self._key_of is None:
            return []
        keys = [await self._key_of(address) for address in dict.fromkeys(_EMAIL.findall(named))]
        return [k for k in dict.fromkeys(keys) if k and k != proposer]

    async def resubmit(self, asker: Asker, number: str, proposal: Proposal) -> None:
        """A returned proposal, edited by its proposer: the same number, back to 審査中 (through
        the outbox; the draft and the editing mark dropped with it)."""
        fields = {"Title": proposal.title, "Kind": proposal.kind, "Category": proposal.category,
                  "Problem": proposal.problem, "Idea": proposal.idea, "ExpectedEffect": proposal.effect or None,
                  "EstimatedHoursSaved": proposal.hours, "Links": "\n".join(proposal.links) or None,
                  "CoProposers": proposal.co_proposers or None}
        await self._state.commit(values={(DRAFTS, asker.key): None, (REVISING, asker.key): None},
                                 work=[Work(f"resubmit:{number}:{secrets.token_hex(4)}", RESUBMIT,
                                            {"number": number, "fields": fields, "proposer": asker.key})],
                                 now=self._clock().timestamp())

    async def wait_filed(self, submission: str, timeout: float) -> str | None:
        """The proposal's number if it is (or was already) filed within `timeout` seconds; else
        None, and the proposer is told the number in their chat once it is."""
        waiter = self._waiters.get(submission)
        if waiter is None:
            return await self._filed_as(submission)
        try:
            await asyncio.wait_for(waiter.done.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        waiter.waiting -= 1
        if waiter.waiting <= 0:
            self._waiters.pop(submission, None)
            if waiter.number is None:
                waiter.gave_up = True
        return waiter.number

    async def support(self, asker: Asker, proposal_number: str) -> bool:
        """Support an existing proposal; False when this person already did."""
        key = f"{proposal_number}:{asker.key}"
        [added] = await self._state.commit(work=[Work(f"support:{key}", SUPPORT, {
            "support_id": key, "proposal": proposal_number, "supporter": asker.key,
            "name": asker.display_name, "at": iso_seconds(self._clock())})], now=self._clock().timestamp())
        return added

    # ---- delivery ----------------------------------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        return {FILE: self._file, CONFIRM: self._confirm, SUPPORT: self._support, POST_REVIEW: self._post_review,
                RESUBMIT: self._resubmit}

    async def _resubmit(self, _key: str, payload: Mapping[str, Any]) -> None:
        number = str(payload["number"])
        item = await self._store.get(PROPOSALS_LIST, number)
        if item is None or item.fields.get("ProposerId") != payload["proposer"]:
            raise Undeliverable(f"proposal {number} is gone or not the proposer's")
        if item.fields.get("Status") != RETURNED:
            return  # resubmitted already (a retry), or the division moved it on meanwhile
        resubmitted = {**payload["fields"], "Status": UNDER_REVIEW}
        writes(PROPOSALS_LIST, resubmitted, Owner.BOT)
        [result] = await self._store.upsert(PROPOSALS_LIST, [Upsert(number, resubmitted, if_match=item.etag)])
        if not result.ok:
            raise RuntimeError(f"resubmitting {number}: {result.outcome}: {result.error}")
        self._similar.stale()

    async def _file(self, _key: str, payload: Mapping[str, Any]) -> None:
        submission = str(payload["submission_id"])
        fields = dict(payload["fields"])
        filed = await self._filed_as(submission) or await self._create(fields, submission)
        self._similar.stale()
        if self._review_channel:
            await self._state.commit(work=[Work(f"proposal:{submission}:review", POST_REVIEW, {
                "number": filed, "reference": payload["reference"]})], now=self._clock().timestamp())
        waiter = self._waiters.get(submission)
        if waiter is not None and not waiter.gave_up:
            waiter.number = filed  # the turn(s) that submitted it show the number
            waiter.done.set()
            return
        await self._state.commit(work=[Work(f"proposal:{submission}:confirm", CONFIRM, {
            "number": filed, "title": fields.get("Title", ""), "reference": payload["reference"],
            "locale": payload.get("locale")})], now=self._clock().timestamp())

    async def _filed_as(self, submission: str) -> str | None:
        """The number of an earlier filing of this submission (a retry after a crash)."""
        found = await self._store.query(PROPOSALS_LIST, "SubmissionId", submission)
        return found[0].key if found else None

    async def _create(self, fields: dict[str, Any], submission: str) -> str:
        year = int(fields["FiscalYear"])
        async with self._numbering:
            if year not in self._next:
                taken = await self._store.query(PROPOSALS_LIST, "FiscalYear", year)
                self._next[year] = max((sequence(i.key, year) for i in taken), default=0) + 1
            for _ in range(MAX_NUMBER_TRIES):
                candidate = number(year, self._next[year])
                writes(PROPOSALS_LIST, fields, Owner.BOT)
                [result] = await self._store.create(PROPOSALS_LIST, [Upsert(candidate, fields)])
                if result.outcome is Outcome.CREATED:
                    self._next[year] += 1
                    logger.info("proposal %s filed as %s", submission, candidate)
                    return candidate
                if result.outcome is not Outcome.EXISTS:
                    raise RuntimeError(f"filing {submission}: {result.outcome}: {result.error}")
                # Taken: by this very submission (its create landed, the answer was lost), or by
                # another instance's proposal a moment ago.
                mine = await self._filed_as(submission)
                if mine is not None:
                    return mine
                self._next[year] += 1
        raise RuntimeError(f"filing {submission}: no free number after {MAX_NUMBER_TRIES} tries")

    async def _confirm(self, _key: str, payload: Mapping[str, Any]) -> None:
        card = self._confirmation(str(payload["number"]), str(payload.get("title") or ""), payload.get("locale"))
        await deliver_card(self._notifier, ConversationReference(**payload["reference"]), card,
                           "telling the proposer the number")

    async def _post_review(self, _key: str, payload: Mapping[str, Any]) -> None:
        """The reviewers' channel gets the new proposal's card, in a thread of its own."""
        if not self._review_channel or self._review_card is None:
            raise Undeliverable("no reviewers' channel to post to")
        item = await self._store.get(PROPOSALS_LIST, str(payload["number"]))
        if item is None:
            raise Undeliverable(f"proposal {payload['number']} is gone")
        # The channel is reached through the same service and bot as the proposer's chat.
        channel = ConversationReference(**payload["reference"]).in_channel(self._review_channel)
        await deliver_card(self._notifier, channel, self._review_card(item), "posting for review")

    async def _support(self, _key: str, payload: Mapping[str, Any]) -> None:
        proposal = str(payload["proposal"])
        if await self._store.get(PROPOSALS_LIST, proposal) is None:
            raise Undeliverable(f"proposal {proposal} does not exist")
        support = {"Title": proposal, "ProposalId": proposal, "SupporterId": payload["supporter"],
                   "SupporterName": payload.get("name"), "SupportedAt": payload["at"]}
        writes(SUPPORTS_LIST, support, Owner.BOT)
        writes(PROPOSALS_LIST, ["SupportCount"], Owner.BOT)
        [result] = await self._store.create(SUPPORTS_LIST, [Upsert(str(payload["support_id"]), support)])
        if result.outcome not in (Outcome.CREATED, Outcome.EXISTS):
            raise RuntimeError(f"support for {proposal}: {result.outcome}: {result.error}")
        count = len(await self._store.query(SUPPORTS_LIST, "ProposalId", proposal))
        [written] = await self._store.upsert(PROPOSALS_LIST, [Upsert(proposal, {"SupportCount": count})])
        if not written.ok:
            raise RuntimeError(f"support count of {proposal}: {written.outcome}: {written.error}")
        self._similar.stale()

