"""業務改善提案 in Teams: the form (kept as typed on every round trip, and as a draft between
visits), similar proposals and FAQ entries shown before filing, support for an existing
proposal, and filing through the outbox with the proposer told the number."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from pydantic import Field

from bot.conversations import ConversationReference
from bot.faq.service import FaqService
from bot.features.cards import CardData, FromSentCard, sent_card
from bot.people import Directory
from bot.proposals.desk import DRAFTS, RECEIVED, RETURNED, REVISING, UNDER_REVIEW, ProposalDesk
from bot.proposals.form import PROPOSAL, REPORT, Draft, Problems, Proposal, check, hours_text, offered_category
from bot.proposals.numbering import JST
from bot.proposals.review import ReviewDesk
from bot.proposals.similar import PROPOSALS_LIST, Similar, SimilarProposals
from bot.router import Refused, Router
from bot.sent_cards import SentCard, SentCards, new_card_id
from bot.state import BotState
from bot.turn import CardReply, Turn
from cards import inert, render
from config.clock import Clock, iso_seconds, utc_now
from config.proposals import ProposalConfig
from liststore import Item, ListStore

# How long a submit waits for the number before answering with a reference instead.
FILED_WAIT_SECONDS = 4.0
OPEN_FORM = ("提案", "提案したい", "提案する", "業務改善提案", "業務改善報告", "propose", "proposal")
MY_PROPOSALS = ("提案の状況", "自分の提案", "私の提案", "提案状況", "my proposals")
ADOPTED = ("みんなの提案", "採用された提案", "adopted proposals")
ADOPTED_STATUSES = ("採用", "一部採用", "実施中", "完了")
LIST_SIZE = 10
SHOWN_FOR = "similar-card:proposal"  # state space: similar card id -> the draft it was shown for


class FormInputs(CardData):
    """The form's inputs as Teams sends them back with the action (every value a string)."""

    title: Any = None
    problem: Any = None
    idea: Any = None
    effect: Any = None
    hours: Any = None
    category: Any = None
    kind: Any = None
    co_proposers: Any = None
    links: Any = None

    def draft(self) -> Draft:
        return Draft.from_inputs({k: v for k, v in self.model_dump().items() if v is not None})


class OpenForm(CardData):
    """A button that opens the form (the help card's)."""


class ProposalRef(CardData):
    """A button that names a proposal by its number (the number is checked against the list and
    the person pressing it, never trusted)."""

    number: str = Field(pattern=r"^\d{4}-\d{4,}$")


class Support(FromSentCard):
    """「賛同する」 on one of the similar proposals shown."""

    choice: int = Field(ge=0, lt=10)


class OnSimilarCard(FromSentCard):
    """「このまま提出する」 / 「修正する」 on the similar-proposals card."""


def form_data(turn: Turn, config: ProposalConfig, draft: Draft, problems: Problems | None = None,
              notice: str = "") -> dict[str, Any]:
    t = turn.t
    form = draft.as_dict()
    # A category typed in full width (ＲＰＡ・自動化) is the offered one: show it chosen.
    form["category"] = offered_category(config, draft.category) or draft.category
    return {
        "text": t, "form": form, "notice": notice, "has_problems": bool(problems),
        "problems": {name: t[key].format(**values) for name, (key, values) in (problems or {}).items()},
        "kinds": [{"title": t["p_kind_proposal"], "value": PROPOSAL}, {"title": t["p_kind_report"], "value": REPORT}],
        "categories": [{"title": c, "value": c} for c in config.categories],
        "limits": config.limits.model_dump(),
    }


def form_card(turn: Turn, config: ProposalConfig, draft: Draft, problems: Problems | None = None,
              notice: str = "") -> dict[str, Any]:
    return render("proposal_form", form_data(turn, config, draft, problems, notice))


def similar_data(turn: Turn, similar: list[Similar], faq_question: str, card_id: str) -> dict[str, Any]:
    return {"text": turn.t, "card_id": card_id, "faq_question": faq_question,
            "similar": [{"choice": n, "number": s.proposal.number, "title": inert(s.proposal.title),
                         "status": s.proposal.status or RECEIVED, "supports": s.proposal.supports}
                        for n, s in enumerate(similar)]}


def received_data(t: Any, title: str, number: str | None, reference: str, in_staff: bool, *,
                  heading: str | None = None, status: str = RECEIVED) -> dict[str, Any]:
    return {"text": t, "heading": heading or t["p_filed_title"], "title": inert(title), "number": number or reference,
            "status": status,
            "number_label": t["p_number"] if number else t["p_reference"], "pending": number is None,
            "not_in_staff": not in_staff}


def status_data(t: Any, change: Mapping[str, Any]) -> dict[str, Any]:
    """What the proposer is told of a status change (a returned one can be edited from it)."""
    status = str(change["status"])
    return {"text": t, "title": inert(str(change["title"])), "number": change["number"], "status": status,
            "comment": inert(str(change.get("comment") or "")), "meaning": t.get(f"p_meaning_{status}", ""),
            "can_revise": status == RETURNED}


def draft_of(item: Item) -> Draft:
    """A filed proposal back in the form, to edit it."""
    f = item.fields
    hours = f.get("EstimatedHoursSaved")
    return Draft(title=str(f.get("Title") or ""), problem=str(f.get("Problem") or ""), idea=str(f.get("Idea") or ""),
                 effect=str(f.get("ExpectedEffect") or ""), hours="" if hours is None else hours_text(hours),
                 category=str(f.get("Category") or ""), kind=str(f.get("Kind") or PROPOSAL),
                 co_proposers=str(f.get("CoProposers") or ""), links=str(f.get("Links") or ""))


def list_data(t: Any, heading: str, empty_text: str, items: list[Item], newest: str = "SubmittedAt") -> dict[str, Any]:
    """Proposals, newest (by `newest`, else when submitted) first, as the status lists show them."""
    def when(i: Item) -> tuple[str, str]:
        return str(i.fields.get(newest) or ""), str(i.fields.get("SubmittedAt") or "")

    rows = sorted(items, key=when, reverse=True)[:LIST_SIZE]
    return {"text": t, "heading": heading, "empty_text": empty_text,
            "proposals": [{"number": i.key, "title": inert(str(i.fields.get("Title") or "")),
                           "status": str(i.fields.get("Status") or RECEIVED),
                           "submitted": _day(i.fields.get("SubmittedAt")),
                           "comment": inert(str(i.fields.get("ReviewComment") or ""))} for i in rows]}


def _day(moment: Any) -> str:
    """2026-11-30T00:30:00Z → 2026/11/30 (the day in Japan)."""
    try:
        return datetime.fromisoformat(str(moment).replace("Z", "+00:00")).astimezone(JST).strftime("%Y/%m/%d")
    except ValueError:
        return ""


def register(router: Router, config: ProposalConfig, people: Directory, desk: ProposalDesk,
             similar: SimilarProposals, faq: FaqService, state: BotState, cards: SentCards,
             store: ListStore, review: ReviewDesk, clock: Clock = utc_now) -> None:
    """The form, similar proposals, support and filing, resubmission, and where proposals stand.

    All of it in the proposer's personal chat: a draft, one's own proposals and their review
    comments are nobody else's to see, in a channel or a group chat.
    """

    def personal_only(turn: Turn) -> None:
        if turn.conversation_kind != "personal":
            raise Refused(message="p_personal_only")

    async def saved_draft(turn: Turn) -> Draft:
        return Draft.from_saved(await state.value(DRAFTS, turn.sender.key))

    async def opening_notice(turn: Turn) -> str:
        """Said above a form that reopens a returned proposal being edited."""
        revising = await state.value(REVISING, turn.sender.key)
        return turn.t["p_revising"].format(number=revising) if revising else ""

    async def keep(turn: Turn, draft: Draft) -> None:
        await state.commit(values={(DRAFTS, turn.sender.key): draft.as_dict()}, now=clock().timestamp())

    async def similar_card(turn: Turn, data: FromSentCard) -> SentCard | None:
        return await sent_card(cards, data, "proposal_similar", turn.sender.key, not_yours="p_not_yours")

    # ---- opening the form, and where proposals stand ----------------------------------------

    for command in OPEN_FORM:
        @router.message(command)
        async def open_form(turn: Turn) -> None:
            if turn.conversation_kind != "personal":
                await turn.send_text(turn.t["p_personal_only"])
                return
            card = form_card(turn, config, await saved_draft(turn), notice=await opening_notice(turn))
            await turn.send_card(card, summary=turn.t["p_form_title"])

    @router.card_action("proposal.open", OpenForm)
    async def open_from_button(turn: Turn, _: OpenForm) -> CardReply:
        personal_only(turn)
        # A new message: the card the button is on (an FAQ answer, the help) stays as it was.
        card = form_card(turn, config, await saved_draft(turn), notice=await opening_notice(turn))
        await turn.send_card(card, summary=turn.t["p_form_title"])
        return CardReply(text=turn.t["p_opened"])

    for command in MY_PROPOSALS:
        @router.message(command)
        async def mine(turn: Turn) -> None:
            if turn.conversation_kind != "personal":
                await turn.send_text(turn.t["p_personal_only"])
                return
            found = await store.query(PROPOSALS_LIST, "ProposerId", turn.sender.key)
            card = render("proposal_list", list_data(turn.t, turn.t["p_mine_title"], turn.t["p_mine_none"], found))
            await turn.send_card(card, summary=turn.t["p_mine_title"])

    for command in ADOPTED:
        @router.message(command)
        async def adopted(turn: Turn) -> None:
            found = [i for status in ADOPTED_STATUSES for i in await store.query(PROPOSALS_LIST, "Status", status)]
            card = render("proposal_list", list_data(turn.t, turn.t["p_adopted_title"], turn.t["p_adopted_none"],
                                                     found, newest="ReviewedAt"))
            await turn.send_card(card, summary=turn.t["p_adopted_title"])

    # ---- the form's round trips ---------------------------------------------------------------

    @router.card_action("proposal.save", FormInputs)
    async def save(turn: Turn, data: FormInputs) -> CardReply:
        personal_only(turn)
        draft = data.draft()
        await keep(turn, draft)
        return CardReply(card=form_card(turn, config, draft, notice=turn.t["p_saved"]))

    @router.card_action("proposal.check", FormInputs)
    async def check_form(turn: Turn, data: FormInputs) -> CardReply:
        personal_only(turn)
        draft = data.draft()
        await keep(turn, draft)  # whatever happens next, what they typed is kept
        proposal, problems = check(draft, config)
        revising = await state.value(REVISING, turn.sender.key)
        if proposal is None:
            notice = turn.t["p_revising"].format(number=revising) if revising else ""
            return CardReply(card=form_card(turn, config, draft, problems, notice))
        if revising:
            return await resubmit(turn, str(revising), proposal)
        alike = await similar.like(proposal.text, config.similar.show, config.similar.min_similarity)
        match = await faq.ask(proposal.title)
        entry = faq.entry(match.faq_id) if match.answered and match.faq_id else None
        if not alike and entry is None:
            return CardReply(card=await file(turn, proposal))
        shown = SentCard(new_card_id(), "proposal_similar", turn.sender.key, proposal.title, "",
                         iso_seconds(clock()), candidates=tuple(s.proposal.number for s in alike))
        # The card remembers what it was shown for: 「このまま提出する」 files exactly that.
        await state.commit(cards=[shown], values={(SHOWN_FOR, shown.card_id): draft.as_dict()},
                           now=clock().timestamp())
        card = render("proposal_similar", similar_data(turn, alike, entry.question if entry else "", shown.card_id))
        return CardReply(card=card)

    @router.card_action("proposal.submit", OnSimilarCard)
    async def submit_anyway(turn: Turn, data: OnSimilarCard) -> CardReply:
        personal_only(turn)
        shown = await similar_card(turn, data)
        saved = await state.value(SHOWN_FOR, data.card_id) if shown else None
        if shown is None or saved is None:
            return CardReply(text=turn.t["p_card_expired"])
        proposal, problems = check(Draft.from_saved(saved), config)
        if proposal is None:  # the checks changed meanwhile (a category removed): back to the form
            return CardReply(card=form_card(turn, config, Draft.from_saved(saved), problems))
        return CardReply(card=await file(turn, proposal))

    @router.card_action("proposal.edit", OnSimilarCard)
    async def edit(turn: Turn, data: OnSimilarCard) -> CardReply:
        personal_only(turn)
        if await similar_card(turn, data) is None:
            return CardReply(text=turn.t["p_card_expired"])
        return CardReply(card=form_card(turn, config, await saved_draft(turn)))

    @router.card_action("proposal.support", Support)
    async def support(turn: Turn, data: Support) -> CardReply:
        personal_only(turn)
        shown = await similar_card(turn, data)
        if shown is None or data.choice >= len(shown.candidates):
            return CardReply(text=turn.t["p_card_expired"])
        number = shown.candidates[data.choice]
        known = similar.known(number)
        title = known.title if known else number
        added = await desk.support(await people.asker(turn), number)
        return CardReply(text=turn.t["p_supported" if added else "p_already_supported"].format(
            title=title, number=number))

    async def file(turn: Turn, proposal: Proposal) -> dict[str, Any]:
        asker = await people.asker(turn)
        reference = ConversationReference.of(turn)
        submission = await desk.submit(asker, proposal, reference, turn.locale)
        number = await desk.wait_filed(submission, FILED_WAIT_SECONDS)
        return render("proposal_received", received_data(turn.t, proposal.title, number, submission,
                                                         asker.staff is not None))

    # ---- a returned proposal, edited and resubmitted --------------------------------------------

    @router.card_action("proposal.revise", ProposalRef)
    async def revise(turn: Turn, data: ProposalRef) -> CardReply:
        personal_only(turn)
        item = await review.proposal(data.number)
        if item is None:
            return CardReply(text=turn.t["p_card_expired"])
        if item.fields.get("ProposerId") != turn.sender.key:
            return CardReply(text=turn.t["p_not_proposer"])
        status = str(item.fields.get("Status") or RECEIVED)
        if status != RETURNED:
            return CardReply(text=turn.t["p_not_revisable"].format(status=status))
        draft = draft_of(item)
        await state.commit(values={(DRAFTS, turn.sender.key): draft.as_dict(), (REVISING, turn.sender.key): item.key},
                           now=clock().timestamp())
        await turn.send_card(form_card(turn, config, draft, notice=turn.t["p_revising"].format(number=item.key)),
                             summary=turn.t["p_form_title"])
        return CardReply(text=turn.t["p_opened"])

    async def resubmit(turn: Turn, number: str, proposal: Proposal) -> CardReply:
        item = await review.proposal(number)
        status = str(item.fields.get("Status") or RECEIVED) if item else "-"
        if item is None or status != RETURNED or item.fields.get("ProposerId") != turn.sender.key:
            # Moved on meanwhile (the division decided it): not resubmitted; what was typed stays
            # as the draft, and the next form is a new proposal.
            await state.commit(values={(REVISING, turn.sender.key): None}, now=clock().timestamp())
            return CardReply(text=turn.t["p_not_revisable"].format(status=status))
        asker = await people.asker(turn)
        await desk.resubmit(asker, number, proposal)
        return CardReply(card=render("proposal_received", received_data(
            turn.t, proposal.title, number, number, asker.staff is not None,
            heading=turn.t["p_resubmitted_title"], status=UNDER_REVIEW)))
