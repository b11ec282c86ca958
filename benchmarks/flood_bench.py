"""One caller flooding the bot must not starve everyone else: a normal user's latency while a
flood runs, against the same user's latency without it, in the same run.

The bot is `dx-bot serve` in local mode (no app id: anyone on this machine can post), on a
provisioned SQLite store with the seed FAQ. A fake Bot Connector in this process receives the
replies. The flood, all on loopback, bounded in count and time:

- replies that cannot be delivered: activities whose serviceUrl is a closed port
  (http://127.0.0.1:1/), each of which makes the bot try, and retry, to reply;
- questions of 2,000 random kanji, each as heavy for the matcher as a message can be.

The normal user asks ordinary questions one after another, each timed from the POST to its
reply reaching the Bot Connector.

    python -m benchmarks.flood_bench [--questions 40] [--flooders 24] [--heavy 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.bot_bench import QUESTIONS, Connector, activity, first_answer, free_port, start_connector
from bot.faq.entry import seed_entries
from bot.faq.importer import import_entries
from config.schema import load_list_specs
from config.settings import load_settings
from liststore import open_store

DEAD_SERVICE_URL = "http://127.0.0.1:1/"
FLOOD_SECONDS_MAX = 300  # a flood never outlives this, whatever happens
ANSWER_WAIT_MAX = 60.0  # a question unanswered by then counts as taking this long


async def prepare(data_dir: Path) -> None:
    async with open_store(load_settings(store="sqlite", data_dir=data_dir)) as store:
        for spec in load_list_specs().values():
            await store.ensure_list(spec)
        await import_entries(store, seed_entries(), replace=True)


async def timed_questions(http: aiohttp.ClientSession, url: str, service_url: str,
                          connector: Connector, count: int) -> list[float]:
    samples = []
    for i in range(count):
        body = activity(service_url, 1, f"{QUESTIONS[i % len(QUESTIONS)]}（{i}）")
        done = connector.replies[body["id"]] = asyncio.Event()
        start = time.perf_counter()

        async def ask() -> None:
            async with http.post(url, json=body) as response:
                await response.read()
                assert response.status == 200, response.status
            await done.wait()

        try:
            await asyncio.wait_for(ask(), ANSWER_WAIT_MAX)
        except asyncio.TimeoutError:
            pass  # counted as ANSWER_WAIT_MAX: the user gave up
        samples.append(min(time.perf_counter() - start, ANSWER_WAIT_MAX))
    return samples


async def flood(http: aiohttp.ClientSession, url: str, service_url: str, stop: asyncio.Event,
                flooders: int, heavy: int) -> dict[str, int]:
    statuses: dict[str, int] = {}
    rng = random.Random(7)
    deadline = time.monotonic() + FLOOD_SECONDS_MAX

    async def one(kind: str, number: int) -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            if kind == "dead":
                body = activity(DEAD_SERVICE_URL, 1000 + number, "パスワードを忘れた")
            else:
                text = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(2000))
                body = activity(service_url, 2000 + number, text)
            try:
                async with http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=ANSWER_WAIT_MAX)) as response:
                    await response.read()
                    key = f"{kind} {response.status}"
            except aiohttp.ClientError:
                key = f"{kind} connection error"
            except asyncio.TimeoutError:
                key = f"{kind} no answer in {ANSWER_WAIT_MAX:.0f} s"
            statuses[key] = statuses.get(key, 0) + 1
            if not key.endswith("200"):
                await asyncio.sleep(0.05)  # refused: an attacker would simply try again

    await asyncio.gather(*(one("dead", n) for n in range(flooders)),
                         *(one("heavy", n) for n in range(heavy)))
    return statuses


async def until_up(http: aiohttp.ClientSession, port: int) -> None:
    for _ in range(1200):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the bot did not start within two minutes")


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


async def main(questions: int = 40, flooders: int = 24, heavy: int = 20) -> None:
    print(f"flood benchmark: a normal user's {questions} questions, alone and beside {flooders} "
          f"undeliverable replies + {heavy} 2,000-kanji questions at a time")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "var"
        await prepare(data_dir)
        connector = Connector()
        runner, service_url = await start_connector(connector)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")}
        env.update({"DX_DATA_DIR": str(data_dir), "DX_BOT_PORT": str(port), "DX_LOG_LEVEL": "ERROR"})
        server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env,
                                  stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/api/messages"
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                await until_up(http, port)
                await first_answer(http, port, service_url, connector)
                await timed_questions(http, url, service_url, connector, 5)  # warm
                alone = await timed_questions(http, url, service_url, connector, questions)
                stop = asyncio.Event()
                flooding = asyncio.create_task(flood(http, url, service_url, stop, flooders, heavy))
                await asyncio.sleep(1.0)  # let the flood build up
                started = time.perf_counter()
                beside = await timed_questions(http, url, service_url, connector, questions)
                took = time.perf_counter() - started
                stop.set()
                statuses = await flooding
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            await runner.cleanup()
    for label, samples in (("alone", alone), ("beside the flood", beside)):
        print(f"  {label:17} p50 {statistics.median(samples) * 1000:8.1f} ms   p99 {p99(samples) * 1000:8.1f} ms")
    print(f"  p99 beside the flood / alone: ×{p99(beside) / p99(alone):.1f}  "
          f"({questions} questions took {took:.1f} s under flood)")
    print("  flood requests by answer: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--flooders", type=int, default=24)
    parser.add_argument("--heavy", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.questions, args.flooders, args.heavy))
