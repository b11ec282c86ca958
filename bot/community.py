"""The bot's composition: the features it has, in the order their routes are tried, the
error handler every turn shares, and the pipeline the edge and the terminal chat call."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.answers import AnswerWatch
from bot.conversations import ConversationReference, ConversationStore
from bot.faq.service import FaqService
from bot.features import faq as faq_feature
from bot.features import proposal_review, proposals, training, welcome
from bot.features import questions as questions_feature
from bot.membership import GroupCheck
from bot.outbox import Handler
from bot.people import Directory
from bot.proposals.desk import ProposalDesk
from bot.proposals.review import ReviewDesk
from bot.proposals.similar import SimilarProposals
from bot.proposals.watch import StatusWatch
from bot.questions import QuestionLog
from bot.reminders import TicketSweep
from bot.router import InvokeResult, Router
from bot.state import BotState
from bot.ticket_posts import TicketPosts
from bot.tickets import TicketDesk
from bot.training.audit import AccessLog
from bot.training.nudges import TrainingNudges
from bot.training.records import TrainingRecords
from bot.turn import ReplyFailed, Turn
from config.proposals import ProposalConfig
from liststore import ListStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What the features need, built once in the composition root."""

    faq: FaqService
    questions: QuestionLog
    state: BotState
    people: Directory
    proposals: ProposalDesk
    similar_proposals: SimilarProposals
    proposal_config: ProposalConfig
    store: ListStore
    status_watch: StatusWatch
    review: ReviewDesk
    answers: AnswerWatch
    tickets: TicketDesk
    sweep: TicketSweep
    ticket_posts: TicketPosts
    training: TrainingRecords
    admins: GroupCheck
    access_log: AccessLog
    nudges: TrainingNudges
    expert_answer_days: int = 3
    expert_leader_hours: float | None = None  # None: no channel for the leaders' questions to go on to

    def outbox_handlers(self) -> dict[str, Handler]:
        """Every kind of outbox work the features enqueue, and who delivers it."""
        return {**self.questions.handlers(), **self.proposals.handlers(),
                **self.status_watch.handlers(self.state.conversations),
                **self.answers.handlers(self.state.conversations),
                **self.sweep.handlers(self.state.conversations),
                **self.ticket_posts.handlers(self.state.conversations),
                **self.nudges.handlers(self.state.conversations)}


def build_router(services: Services) -> Router:
    """Every feature's routes, first match wins; the FAQ answers whatever is left."""
    router = Router()
    welcome.register(router)
    proposals.register(router, services.proposal_config, services.people, services.proposals,
                       services.similar_proposals, services.faq, services.state, services.state.cards,
                       services.store, services.review)
    proposal_review.register(router, services.review)
    questions_feature.register(router, services.questions, services.state.cards, services.faq, services.people,
                               services.answers, services.expert_answer_days)
    questions_feature.register_tickets(router, services.tickets, services.people, services.faq,
                                       services.ticket_posts.changed, services.expert_leader_hours)
    training.register(router, services.people, services.training, services.store, services.admins,
                      services.access_log)
    faq_feature.register(router, services.faq, services.questions, services.state.cards)  # the catch-all: last

    @router.error
    async def on_error(turn: Turn, error: Exception) -> None:
        if isinstance(error, ReplyFailed):
            # The channel is what failed: one line, and no second reply down the same road.
            logger.warning("reply not delivered: correlation_id=%s conversation=%s (%s)",
                           turn.correlation_id, turn.conversation_id, error)
            return
        # Ids only: never the message text or who sent it (personal data) in the log.
        logger.error("turn failed: correlation_id=%s activity_id=%s conversation=%s type=%s",
                     turn.correlation_id, turn.activity_id, turn.conversation_id, turn.type,
                     exc_info=error)
        if turn.type != "invoke":
            try:
                await turn.send_text(turn.t["error"].format(correlation_id=turn.correlation_id))
            except Exception:  # noqa: BLE001 - the channel itself may be what failed
                logger.warning("could not tell the user about correlation_id=%s", turn.correlation_id)

    return router


class Pipeline:
    """One turn: remember who is talking, then route. The edge and the terminal chat call this."""

    def __init__(self, router: Router, conversations: ConversationStore, people: Directory | None = None) -> None:
        self.router = router
        self._conversations = conversations
        self._people = people

    async def on_turn(self, turn: Turn) -> InvokeResult | None:
        if turn.reachable and turn.type in {"message", "invoke", "installationUpdate", "conversationUpdate"}:
            await self._conversations.remember(ConversationReference.of(turn))
            if self._people is not None and turn.type == "message":
                self._people.learn(turn)
        return await self.router.dispatch(turn)
