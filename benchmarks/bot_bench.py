"""The bot's turn pipeline with a 1,000-entry FAQ, against an echo bot in the same run.

1. In-process: p50 / p99 of one question turn (pipeline → router → matcher → card) versus an
   echo turn through the same pipeline.
2. Over HTTP: activities per second through POST /api/messages on loopback (a `dx-bot serve`-like
   server process; the CloudAdapter replies to a fake Bot Connector in this process) with 50
   concurrent conversations, FAQ bot versus echo bot.
3. Start-up: from starting the server process to the first answer received (target < 5 s).

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
from bot.community import Pipeline, Services, build_router
from bot.conversations import MemoryConversationStore
from bot.faq.importer import import_entries
from bot.faq.service import FaqService
from bot.questions import QuestionLog
from bot.router import Router
from bot.turn import Person, Turn
from config.schema import load_list_specs
from config.settings import load_settings
from liststore import open_store

QUESTIONS = ["チームズの会議を録画したい", "パスワードを忘れました", "ｅラーニングの期限は？", "パワアプのアプリを共有したい",
             "フォームの回答をリストに入れたい", "粗大ごみの出し方", "Power BIのレポートを課で見たい", "USBメモリは使える？"]


def echo_router() -> Router:
    router = Router()

    @router.message(None)
    async def echo(turn: Turn) -> None:
        await turn.send_text(turn.text)

    return router


async def build(data_dir: Path, entries: int, echo: bool):
    settings = load_settings(store="sqlite", data_dir=data_dir)
    store_cm = open_store(settings)
    store = await store_cm.__aenter__()
    faq = await FaqService.load(store)
    conversations = MemoryConversationStore()
    router = echo_router() if echo else build_router(Services(faq, QuestionLog(store), conversations))
    return settings, store_cm, Pipeline(router, conversations)


async def prepare(data_dir: Path, entries: int) -> None:
    settings = load_settings(store="sqlite", data_dir=data_dir)
    async with open_store(settings) as store:
        for spec in load_list_specs().values():
            await store.ensure_list(spec)
        await import_entries(store, padded_faq(entries), replace=True)


def turn_for(text: str, sent: list) -> Turn:
    async def send(activity: dict) -> None:
        sent.append(activity)

    activity = {"type": "message", "text": text, "serviceUrl": "http://127.0.0.1:9/",
                "from": {"id": "u1"}, "conversation": {"id": "c1"}, "recipient": {"id": "b"}}
    return Turn(activity, text, "ja-JP", "c1", "personal", Person("u1"), "bench", _send=send)


async def in_process(data_dir: Path, entries: int, rounds: int) -> None:
    results = {}
    for name, echo in (("echo turn", True), ("FAQ turn", False)):
        _, store_cm, pipeline = await build(data_dir, entries, echo)
        sent: list = []
        samples = []
        for i in range(rounds):
            text = QUESTIONS[i % len(QUESTIONS)]
            start = time.perf_counter()
            await pipeline.on_turn(turn_for(text, sent))
            samples.append(time.perf_counter() - start)
        await store_cm.__aexit__(None, None, None)
        samples.sort()
        results[name] = (statistics.median(samples), samples[int(len(samples) * 0.99) - 1])
    (e50, e99), (f50, f99) = results["echo turn"], results["FAQ turn"]
    print(f"in-process, {entries} FAQ entries, {rounds} turns each")
    print(f"  echo turn  p50 {e50 * 1000:7.3f} ms  p99 {e99 * 1000:7.3f} ms")
    print(f"  FAQ turn   p50 {f50 * 1000:7.3f} ms  p99 {f99 * 1000:7.3f} ms   (×{f50 / e50:.1f} the echo p50)")


# ---- over HTTP ---------------------------------------------------------------------------------

def serve(port: int, data_dir: Path, entries: int, echo: bool) -> None:
    """The server process: the product's endpoint with the FAQ pipeline or an echo router."""
    from bot.edge import BotEndpoint

    async def main() -> None:
        settings, store_cm, pipeline = await build(data_dir, entries, echo)
        endpoint = BotEndpoint(settings, pipeline)
        app = web.Application()
        app.router.add_post("/api/messages", endpoint.handle)
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


async def over_http(data_dir: Path, entries: int, total: int, concurrency: int) -> None:
    connector = Connector()
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", connector.reply)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    cport = free_port()
    await web.TCPSite(runner, "127.0.0.1", cport).start()
    service_url = f"http://127.0.0.1:{cport}"
    rates = {}
    try:
        for name, echo in (("echo bot", True), ("FAQ bot", False)):
            port = free_port()
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bot_bench", "--serve", str(port),
                                     "--data-dir", str(data_dir), "--entries", str(entries)]
                                    + (["--echo"] if echo else []), env={**os.environ, "DX_LOG_LEVEL": "WARNING"})
            try:
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
                    await first_answer(http, port, service_url, connector)
                    startup = time.perf_counter() - started
                    rate = await load(http, port, service_url, connector, total, concurrency)
                rates[name] = rate
                print(f"  {name:8}  {rate:7.0f} activities/s  (start-up to first answer {startup:.2f} s)")
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    finally:
        await runner.cleanup()
    print(f"  FAQ bot throughput is {rates['FAQ bot'] / rates['echo bot']:.0%} of the echo bot's")


def activity(service_url: str, conversation: int, text: str) -> dict:
    return {"type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
            "text": text, "locale": "ja-JP", "from": {"id": f"29:user-{conversation}"},
            "recipient": {"id": "28:bot"}, "conversation": {"id": f"a:conv-{conversation}", "conversationType": "personal"}}


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
            body = activity(service_url, number, QUESTIONS[i % len(QUESTIONS)])
            done = connector.replies[body["id"]] = asyncio.Event()
            async with http.post(url, json=body) as response:
                assert response.status == 200, response.status
            await done.wait()  # a turn counts when its reply reached the Bot Connector

    start = time.perf_counter()
    await asyncio.gather(*(conversation(n) for n in range(concurrency)))
    return total / (time.perf_counter() - start)


async def main(entries: int = 1000, activities: int = 2000, concurrency: int = 50, rounds: int = 2000) -> None:
    print(f"bot turn pipeline benchmark ({entries} FAQ entries)")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "var"
        await prepare(data_dir, entries)
        await in_process(data_dir, entries, rounds)
        print(f"POST /api/messages on loopback, {activities} activities, {concurrency} concurrent conversations")
        await over_http(data_dir, entries, activities, concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.data_dir, args.entries, args.echo)
    else:
        asyncio.run(main(args.entries, args.activities, args.concurrency))
