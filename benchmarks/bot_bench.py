"""The bot's turn pipeline with a 1,000-entry FAQ, against an echo bot in the same run.

1. In-process: p50 / p99 of one question turn (pipeline → router → matcher → card) versus an
   echo turn through the same pipeline; the FAQ words only and with meaning (the sentence
   encoder, the default). Also the time to embed the whole FAQ on a cold cache.
2. Over HTTP: activities per second through POST /api/messages on loopback (a `dx-bot serve`-like
   server process; the CloudAdapter replies to a fake Bot Connector in this process) with 50
   concurrent conversations, FAQ bot versus echo bot.
3. Start-up: from starting the server process to the first answer received (target < 5 s), with
   the embedding cache warm (a restart) and cold (the first start ever: words first).

    python -m benchmarks.bot_bench [--entries 1000] [--activities 2000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from benchmarks.faq_corpus import padded_faq
from bot.activity import check_activity
from bot.app import build_services
from bot.community import Pipeline, build_router
from bot.faq.encoder import encoder_from
from bot.faq.importer import import_entries
from bot.faq.service import FaqService
from bot.router import Router
from bot.state import SqliteBotState
from bot.turn import Turn
from config.schema import load_list_specs
from config.settings import load_settings
from liststore import open_store

QUESTIONS = ["チームズの会議を録画したい", "パスワードを忘れました", "ｅラーニングの期限は？",
             "パワアプのアプリを共有したい", "フォームの回答をリストに入れたい", "粗大ごみの出し方",
             "Power BIのレポートを課で見たい", "USBメモリは使える？"]


def echo_router() -> Router:
    router = Router()

    @router.message(None)
    async def echo(turn: Turn) -> None:
        await turn.send_text(turn.text)

    return router


MODES = {"echo": "echo", "words": "FAQ, words only", "meaning": "FAQ with meaning"}


async def build(data_dir: Path, mode: str, cache: Path | None = None, *, words_first: bool = False):
    """Settings, the open store's context and the pipeline of one bot: echo, words or meaning."""
    settings = load_settings(store="sqlite", data_dir=data_dir, faq_encoder="e5" if mode == "meaning" else "none",
                             faq_embedding_cache=cache)
    store_cm = open_store(settings)
    store = await store_cm.__aenter__()
    encoder = encoder_from(settings)
    if mode == "meaning" and encoder is None:
        raise SystemExit("the e5 encoder did not load; the 'with meaning' figures would be words-only")
    faq = await FaqService.load(store, encoder, words_first=words_first)
    # The turn's own bookkeeping in the state file, as the product keeps it; nothing delivers
    # its outbox here (list writes happen after the turn and are not what is timed).
    state = SqliteBotState(data_dir / f"bot-state-{mode}.sqlite3")
    router = echo_router() if mode == "echo" else build_router(build_services(settings, store, faq, state))
    return settings, store_cm, Pipeline(router, state.conversations), faq


async def prepare(data_dir: Path, entries: int) -> None:
    settings = load_settings(store="sqlite", data_dir=data_dir)
    async with open_store(settings) as store:
        for spec in load_list_specs().values():
            await store.ensure_list(spec)
        written, _ = await import_entries(store, padded_faq(entries), replace=True)
        failed = [w for w in written if not w.ok]
        if failed:  # a benchmark on a smaller FAQ than it says would be worse than none
            raise SystemExit(f"{len(failed)} FAQ entries were not imported, e.g. {failed[0].error}")
        assert await store.count("FAQ") == entries


def turn_for(text: str, sent: list) -> Turn:
    async def send(activity: dict) -> None:
        sent.append(activity)

    activity = check_activity({"type": "message", "text": text, "serviceUrl": "http://127.0.0.1:9/",
                               "from": {"id": "u1"}, "conversation": {"id": "c1"}, "recipient": {"id": "b"},
                               "locale": "ja-JP"})
    return Turn(activity, text, "bench", _send=send)


async def in_process(data_dir: Path, entries: int, rounds: int) -> None:
    print(f"in-process, {entries} FAQ entries, {rounds} turns each")
    started = time.perf_counter()
    *_, store_cm, _, _ = await build(data_dir, "meaning")  # fills the embedding cache in data_dir
    await store_cm.__aexit__(None, None, None)
    print(f"  embedding the whole FAQ on a cold cache: {time.perf_counter() - started:.1f} s (once; cached after)")
    echo_p50 = None
    for mode in MODES:
        _, store_cm, pipeline, _ = await build(data_dir, mode)
        sent: list = []
        samples = []
        for i in range(rounds):
            # Each question a different text, as staff's are (nothing may be answered from a cache).
            text = f"{QUESTIONS[i % len(QUESTIONS)]}（{i}）"
            start = time.perf_counter()
            await pipeline.on_turn(turn_for(text, sent))
            samples.append(time.perf_counter() - start)
        await store_cm.__aexit__(None, None, None)
        samples.sort()
        p50, p99 = statistics.median(samples), samples[int(len(samples) * 0.99) - 1]
        echo_p50 = echo_p50 or p50
        print(f"  {MODES[mode]:17} p50 {p50 * 1000:7.3f} ms  p99 {p99 * 1000:7.3f} ms   "
              f"(×{p50 / echo_p50:.0f} the echo p50)")


# ---- over HTTP ---------------------------------------------------------------------------------

def serve(port: int, data_dir: Path, mode: str, cache: Path | None) -> None:
    """The server process: the product's endpoint and pipeline, started as `dx-bot serve` starts
    (words first, meaning added in the background); GET /mode says which index answers."""
    from bot.edge import BotEndpoint

    async def main() -> None:
        settings, store_cm, pipeline, faq = await build(data_dir, mode, cache, words_first=True)
        endpoint = BotEndpoint(settings, pipeline)
        refresher = asyncio.create_task(faq.keep_fresh(3600))  # noqa: F841 - runs for the process's life
        app = web.Application()
        app.router.add_post("/api/messages", endpoint.handle)
        app.router.add_get("/mode", lambda _: web.Response(text=faq.mode))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connector:
    """Counts replies per activity id."""

    def __init__(self) -> None:
        self.replies: dict[str, asyncio.Event] = {}
        self.first = asyncio.Event()

    async def reply(self, request: web.Request) -> web.Response:
        await request.read()
        self.first.set()
        event = self.replies.get(request.match_info["activity"])
        if event is not None:
            event.set()
        return web.json_response({"id": uuid.uuid4().hex})


async def start_connector(connector: Connector) -> tuple[web.AppRunner, str]:
    """Serve `connector` on a free loopback port: the runner to clean up, and its service URL."""
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", connector.reply)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def over_http(data_dir: Path, total: int, concurrency: int) -> None:
    connector = Connector()
    runner, service_url = await start_connector(connector)
    rates = {}
    try:
        runs = [(mode, None) for mode in MODES] + [("meaning", data_dir / "cold-cache.sqlite3")]
        for mode, cache in runs:
            port = free_port()
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bot_bench", "--serve", str(port),
                                     "--data-dir", str(data_dir), "--mode", mode]
                                    + (["--cache", str(cache)] if cache else []),
                                    env={**os.environ, "DX_LOG_LEVEL": "WARNING"})
            try:
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
                    await first_answer(http, port, service_url, connector)
                    startup = time.perf_counter() - started
                    if cache is not None:  # cold: how long until meaning answers too; no load run
                        await until_meaning(http, port)
                        print(f"  {MODES[mode]:17} cold cache: first answer {startup:.2f} s after start (words), "
                              f"meaning from {time.perf_counter() - started:.1f} s")
                        continue
                    if mode == "meaning":
                        await until_meaning(http, port)
                    rate = rates[mode] = await load(http, port, service_url, connector, total, concurrency)
                print(f"  {MODES[mode]:17} {rate:7.0f} activities/s ({rate / rates['echo']:.0%} of echo)  "
                      f"start-up to first answer {startup:.2f} s")
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    finally:
        await runner.cleanup()


async def until_meaning(http: aiohttp.ClientSession, port: int) -> None:
    """Wait until the server's index has meaning."""
    for _ in range(3000):
        async with http.get(f"http://127.0.0.1:{port}/mode") as response:
            if await response.text() == "meaning":
                return
        await asyncio.sleep(0.1)


def activity(service_url: str, conversation: int, text: str) -> dict:
    return {"type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
            "text": text, "locale": "ja-JP", "from": {"id": f"29:user-{conversation}"},
            "recipient": {"id": "28:bot"},
            "conversation": {"id": f"a:conv-{conversation}", "conversationType": "personal"}}


async def first_answer(http: aiohttp.ClientSession, port: int, service_url: str, connector: Connector) -> None:
    """Post one question as soon as the server accepts connections; wait for its reply."""
    url = f"http://127.0.0.1:{port}/api/messages"
    body = activity(service_url, 0, QUESTIONS[0])
    done = connector.replies[body["id"]] = asyncio.Event()
    for _ in range(600):
        try:
            async with http.post(url, json=body) as response:
                if response.status == 200:
                    break
        except aiohttp.ClientError:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(done.wait(), 30)


async def load(http: aiohttp.ClientSession, port: int, service_url: str, connector: Connector,
               total: int, concurrency: int) -> float:
    url = f"http://127.0.0.1:{port}/api/messages"
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def conversation(number: int) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = activity(service_url, number, f"{QUESTIONS[i % len(QUESTIONS)]}（{i}）")
            done = connector.replies[body["id"]] = asyncio.Event()
            async with http.post(url, json=body) as response:
                assert response.status == 200, response.status
            await done.wait()  # a turn counts when its reply reached the Bot Connector

    start = time.perf_counter()
    await asyncio.gather(*(conversation(n) for n in range(concurrency)))
    return total / (time.perf_counter() - start)


async def main(entries: int = 1000, activities: int = 2000, concurrency: int = 50, rounds: int = 1000) -> None:
    print(f"bot turn pipeline benchmark ({entries} FAQ entries)")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "var"
        await prepare(data_dir, entries)
        await in_process(data_dir, entries, rounds)
        print(f"POST /api/messages on loopback, {activities} activities, {concurrency} concurrent conversations")
        await over_http(data_dir, activities, concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=list(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.data_dir, args.mode, args.cache)
    else:
        asyncio.run(main(args.entries, args.activities, args.concurrency, args.rounds))
