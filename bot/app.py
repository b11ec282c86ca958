"""The bot's aiohttp application: one composition root, nothing wired at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, AsyncIterator, Iterator, Mapping, Sequence

from aiohttp import web

from azurestore import open_storage
from bot.answers import AnswerWatch
from bot.azure_state import TableBotState
from bot.community import Pipeline, Services, build_router
from bot.edge import MAX_TURNS_IN_FLIGHT, BotEndpoint, Connector, open_connector
from bot.faq.service import FaqService
from bot.features.proposal_review import review_data
from bot.features.proposals import received_data, status_data
from bot.features.questions import nearest_text, person_answer_data, ticket_banner, ticket_data
from bot.listwatch import ListWatch
from bot.membership import GraphMembership, GroupCheck, KnownMembership, Membership
from bot.messages import texts
from bot.notify import MemoryNotifier, Notifier
from bot.outbox import OutboxWorker
from bot.people import Directory, MemberLookup
from bot.periodic import every
from bot.proposals.desk import ConfirmationCard, ProposalDesk
from bot.proposals.review import ReviewDesk
from bot.proposals.similar import SimilarProposals
from bot.proposals.watch import StatusCard, StatusWatch
from bot.questions import QuestionLog
from bot.reminders import TicketSweep
from bot.routing import LeaderRouting
from bot.state import BotState, MemoryBotState, SqliteBotState
from bot.ticket_posts import Copy, TicketPosts, TicketWatch
from bot.tickets import TicketDesk
from bot.training.audit import AccessLog
from bot.training.nudges import NudgeText, TrainingNudges
from bot.training.records import TrainingRecords
from cards import render
from config.clock import Clock, iso_seconds, utc_now
from config.proposals import load_proposal_config
from config.schema import load_list_specs
from config.settings import Settings
from config.training import load_training_config
from liststore import Item, ListStore, StoreError, open_store

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", ListStore)
FAQ = web.AppKey("faq", FaqService)
ENDPOINT = web.AppKey("endpoint", BotEndpoint)
NOTIFIER = web.AppKey("notifier", Notifier)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")


# Cards older than this answer their buttons with 「このカードは古くなっています」.
KEEP_SENT_CARDS = timedelta(days=180)
TIDY_SECONDS = 3600.0
# How long stopping waits for outbox work in progress and a last delivery round.
SHUTDOWN_DELIVERY_SECONDS = 5.0


def open_state(settings: Settings) -> BotState:
    """The bot's own state: in Azure Storage, shared by every instance (DX_STATE_STORE=azure), else
    beside the data (memory with the memory store)."""
    if settings.state_store == "azure":
        return TableBotState(open_storage(settings))
    if settings.store == "memory":
        return MemoryBotState()
    return SqliteBotState(settings.data_dir / "bot-state.sqlite3")


@dataclass(frozen=True, slots=True)
class BotCore:
    """Everything a turn needs, for the web app and the terminal chat alike."""

    store: ListStore
    faq: FaqService
    pipeline: Pipeline
    state: BotState
    notifier: Notifier


@contextlib.asynccontextmanager
async def open_bot(settings: Settings, *, words_first: bool = False, connector: Connector | None = None,
                   clock: Clock = utc_now,
                   members: MemberLookup | None = None, notifier: Notifier | None = None) -> AsyncIterator[BotCore]:
    """Open the store, load the FAQ index and build the pipeline; close it all on exit.

    `words_first`: answer from a words-only index until `FaqService.keep_fresh` adds meaning.
    `connector`: the Bot Connector for member lookups and proactive messages (the web app);
    without it, `members` and `notifier` stand in (the terminal chat, tests).
    The outbox worker delivers what turns promised (Questions list records) in the background
    for as long as the bot is open; what it has not delivered stays in the state for next time.
    """
    async with open_store(settings) as store, open_membership(settings) as membership:
        faq = await FaqService.from_settings(store, settings, words_first=words_first)
        state = open_state(settings)
        stop = asyncio.Event()
        background: asyncio.Task[None] | None = None
        services: Services | None = None
        try:
            if connector is not None:
                members, notifier = connector.members, connector.notifier(state.conversations)
            services = build_services(settings, store, faq, state, members, notifier, membership, clock)
            worker = OutboxWorker(state.outbox, services.outbox_handlers(), base=settings.outbox_retry_seconds)
            watches: tuple[ListWatch | TicketSweep | TrainingNudges, ...] = (
                services.status_watch, services.answers, services.sweep,
                *((services.nudges,) if settings.training_nudges else ()))
            background = asyncio.create_task(_background(state, worker, stop, watches, settings.watch_seconds))
            yield BotCore(store, faq, Pipeline(build_router(services), state.conversations, services.people), state,
                          notifier or MemoryNotifier())
        finally:
            stop.set()
            if background is not None:
                await _stop_background(background)
            if services is not None:
                await services.similar_proposals.close()
                await services.people.close()
            faq.close()  # an index build still embedding on a worker thread stops at its next batch
            await state.close()


def build_services(settings: Settings, store: ListStore, faq: FaqService, state: BotState,
                   members: MemberLookup | None = None, notifier: Notifier | None = None,
                   membership: Membership | None = None, clock: Clock = utc_now) -> Services:
    """`clock`: what "today" is for the training record and its reminders."""
    """What the features need, over one store and one state."""
    similar = SimilarProposals(store, lambda: faq.analyzer, lambda: faq.matcher.entries.values())
    division = (settings.division_name, settings.division_name_en)

    def review_card(item: Item) -> dict[str, Any]:
        # What everyone in the channel sees first; the refresh gives reviewers their buttons.
        return render("proposal_review", review_data(texts("ja-JP", *division), item, reviewer=False))

    people = Directory(store, members, state=state)
    desk = ProposalDesk(store, state, similar, notifier, _confirmation(settings),
                        review_channel=settings.proposal_review_channel_id, review_card=review_card,
                        key_of=people.key_of)
    watch = StatusWatch(store, state, notifier, _status_card(settings))
    membership = membership or KnownMembership()
    review = ReviewDesk(store, GroupCheck(membership, settings.proposal_reviewer_group_ids),
                        on_change=watch.changed, channel=settings.proposal_review_channel_id)

    # How long the leaders have before the channel gets a question (None: no channel to go to).
    leader_hours = settings.expert_leader_hours if settings.expert_channel_id else None

    def ticket_card(item: Item, copy: Copy) -> dict[str, Any]:
        # What everyone sees first; the refresh gives experts (and routed leaders) their buttons.
        t = texts("ja-JP", *division)
        banner = ticket_banner(t, item, copy, leader_hours)
        return render("ticket", ticket_data(t, item, nearest_text(faq, item), banner=banner))

    routing = LeaderRouting(store, people.key_of, state.conversations) if settings.expert_route_to_leaders else None
    posts = TicketPosts(store, state, notifier, ticket_card, settings.expert_channel_id, routing)
    questions = QuestionLog(store, state, first_posts=posts.first_posts)

    def answer_card(item: Item, card_id: str) -> dict[str, Any]:
        return render("person_answer", person_answer_data(texts("ja-JP", *division), item, card_id))

    answers = AnswerWatch(store, state, notifier, answer_card)
    tickets = TicketDesk(store, GroupCheck(membership, settings.expert_group_ids), settings.expert_channel_id,
                         leader_of=posts.is_leader_of)

    def closed_note(question_id: str, days: int) -> str:
        return texts("ja-JP", *division)["closed_waiting"].format(question_id=question_id, days=days)

    sweep = TicketSweep(store, state, notifier, posts, closed_note,
                        leader_wait=timedelta(hours=settings.expert_leader_hours),
                        remind_after=timedelta(hours=settings.expert_remind_hours),
                        close_after=timedelta(days=settings.expert_close_days))
    records = TrainingRecords(store, load_training_config(settings.training_file), clock)
    nudges = TrainingNudges(store, state, notifier, records, people.key_of, _nudge_text(settings, records))
    return Services(faq, questions, state, people, desk, similar, load_proposal_config(), store, watch, review,
                    answers.sharing(TicketWatch(store, state)), tickets, sweep, posts, records,
                    GroupCheck(membership, settings.admin_group_ids), AccessLog(store), nudges,
                    settings.expert_answer_days, leader_hours)


def _nudge_text(settings: Settings, records: TrainingRecords) -> NudgeText:
    """The training reminder, in Japanese (the lists do not say which language a person reads)."""

    def text(name: str, courses: list[tuple[str, date]]) -> str:
        t = texts("ja-JP", settings.division_name, settings.division_name_en)
        deadline = min(d for _, d in courses)
        return t["nudge"].format(name=name, day=f"{deadline:%Y/%m/%d}", days=(deadline - records.today()).days,
                                 courses="\n".join(f"- {course}" for course, _ in courses))

    return text


@contextlib.asynccontextmanager
async def open_membership(settings: Settings) -> AsyncIterator[Membership | None]:
    """Group checks (reviewers, experts) through Graph when such groups and Graph credentials
    are set."""
    if not (settings.proposal_reviewer_group_ids or settings.expert_group_ids or settings.admin_group_ids) \
            or not settings.client_id:
        yield None
        return
    from liststore.sharepoint.client import connect
    from liststore.sharepoint.transport import GraphTransport

    connection = connect(settings)
    try:
        yield GraphMembership(GraphTransport(connection))
    finally:
        await connection.close()


def _status_card(settings: Settings) -> StatusCard:
    """The card that tells a proposer their proposal's status changed (in Japanese: the list
    does not say which language the proposer reads)."""

    def card(change: Mapping[str, Any]) -> dict[str, Any]:
        t = texts("ja-JP", settings.division_name, settings.division_name_en)
        return render("proposal_status", status_data(t, change))

    return card


def _confirmation(settings: Settings) -> ConfirmationCard:
    """The card that tells a proposer their number in their chat, in their language."""

    def card(number: str, title: str, locale: str | None) -> dict[str, Any]:
        t = texts(locale, settings.division_name, settings.division_name_en)
        return render("proposal_received", received_data(t, title, number, number, True))

    return card


async def _background(state: BotState, worker: OutboxWorker, stop: asyncio.Event,
                      watches: Sequence[ListWatch | TicketSweep | TrainingNudges], watch_seconds: float) -> None:
    """Deliver the outbox, forget old cards and watch proposals' statuses until `stop`; then one
    last delivery round for what the last turns promised (bounded by the caller)."""

    async def tidy() -> None:
        await every(TIDY_SECONDS, stop, lambda: state.cards.prune(iso_seconds(utc_now() - KEEP_SENT_CARDS)),
                    "forgetting old cards")

    await asyncio.gather(worker.run(stop, wake=state.enqueued), tidy(), *(w.run(stop, watch_seconds) for w in watches))
    await worker.run_once()


async def _stop_background(background: asyncio.Task[None]) -> None:
    """Wait a little for the last delivery round, then stop the background work; undelivered
    outbox items wait in the state for the next start. However the background ended (even
    cancelled from inside, by an executor another app on this loop shut down), stopping goes on."""
    try:
        done, _ = await asyncio.wait({background}, timeout=SHUTDOWN_DELIVERY_SECONDS)
    except asyncio.CancelledError:  # stopping is itself cut short: the background stops too
        background.cancel()
        await asyncio.wait({background})
        raise
    if not done:
        background.cancel()
        await asyncio.wait({background})
    if background.cancelled() or background.exception() is not None or not done:
        logger.info("stopping with outbox work still pending; it is delivered at the next start")


@contextlib.contextmanager
def _reply_threads(size: int) -> Iterator[None]:
    """A default executor with a thread for every turn that may be in flight.

    botbuilder sends each reply through msrest in the loop's default executor; with the default
    size (cores + 4) a handful of replies to a slow or dead address would make every other
    reply wait for a thread.
    """
    loop = asyncio.get_running_loop()
    threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="bot-reply")
    loop.set_default_executor(threads)
    try:
        yield
    finally:
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="asyncio"))
        threads.shutdown(wait=False, cancel_futures=True)


async def _bot_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    with _reply_threads(MAX_TURNS_IN_FLIGHT):
        async with open_connector(settings) as connector, \
                open_bot(settings, words_first=True, connector=connector, clock=app[CLOCK]) as core:
            app[STORE] = core.store
            app[FAQ] = core.faq
            app[ENDPOINT] = BotEndpoint(settings, core.pipeline)
            app[NOTIFIER] = core.notifier  # for features that write to people outside a turn
            refresher = asyncio.create_task(core.faq.keep_fresh(settings.faq_refresh_seconds))
            try:
                yield
            finally:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher


async def healthz(request: web.Request) -> web.Response:
    """Liveness plus what the store holds, so a deploy can tell an empty store from a full one."""
    store = request.app[STORE]
    lists: dict[str, int | None] = {}
    healthy = True
    for name in load_list_specs():
        try:
            lists[name] = await store.count(name)
        except StoreError:
            lists[name] = None
            healthy = False
    body = {"status": "ok" if healthy else "degraded", "store": request.app[SETTINGS].store,
            "lists": lists, "faq_entries": len(request.app[FAQ].matcher),
            "faq_index": request.app[FAQ].mode}
    return web.json_response(body, status=200 if healthy else 503)


async def messages(request: web.Request) -> web.Response:
    """Bot Framework activities from Teams (or the Agents Playground)."""
    return await request.app[ENDPOINT].handle(request)


def create_app(settings: Settings, clock: Clock = utc_now) -> web.Application:
    """Build the bot's web application; long-lived clients open in cleanup contexts. `clock`:
    what "now" is (tests run the whole bot on a given day)."""
    # The endpoint reads the body itself, so an oversized activity is a 400, not aiohttp's 413.
    app = web.Application()
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app.cleanup_ctx.append(_bot_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/messages", messages)
    return app
