"""Proposals at a city's scale, against baselines in the same run.

1. Similar proposals: with 10,000 proposals in the list, the lookup a proposer waits for before
   filing (p50 / p99 over 200 new proposals) against the FAQ matcher's own turn (words only,
   the same machinery) on the same machine in the same run. Also the time to index them.
2. Status notifications: 1,000 proposals change status at once (a review meeting's decisions
   entered in the list); the watcher reads the change feed and the outbox worker tells each
   proposer through a Bot Connector on loopback, paced to Teams' limits (about 50 requests a
   second per app), through a few 429s with Retry-After at the start. Reported: seconds taken against the
   limit's minimum (changes / 50), and how many were lost or sent twice (both must be 0).

    python -m benchmarks.proposal_bench [--proposals 10000] [--changes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.bot_bench import QUESTIONS, free_port
from bot.conversations import ConversationReference
from bot.edge.notifier import BotConnectorNotifier
from bot.faq.analyzer import Analyzer
from bot.faq.entry import seed_entries
from bot.faq.importer import import_entries
from bot.faq.service import FaqService
from bot.faq.text import Synonyms
from bot.notify import RetryRule, TeamsPacer
from bot.outbox import OutboxWorker
from bot.proposals.similar import SimilarProposals
from bot.proposals.watch import StatusWatch
from bot.state import MemoryBotState
from config.schema import load_list_specs
from liststore import MemoryListStore, Upsert

SECTIONS = ["市民課", "税務課", "保険年金課", "福祉総務課", "子育て支援課", "介護保険課", "環境政策課",
            "ごみ減量推進課", "道路管理課", "建築指導課", "都市計画課", "財政課", "人事課", "契約課", "情報政策課",
            "危機管理課", "観光政策課", "農林水産課", "教育総務課", "学校指導課", "生涯学習課", "消防総務課",
            "上下水道総務課", "会計課", "議会事務局", "選挙管理委員会事務局", "監査事務局", "市民協働課",
            "文化振興課", "スポーツ振興課"]
TASKS = ["申請書の受付", "窓口の番号札の配布", "会議資料の印刷", "出張旅費の精算", "時間外勤務の集計", "備品の貸出管理",
         "施設の点検記録", "苦情の記録", "電話の取次ぎ", "回覧文書の押印", "アンケートの集計", "補助金の審査",
         "証明書の発行", "議事録の作成", "研修の出欠管理", "郵便物の発送", "契約書の保管", "公用車の予約",
         "イベントの参加受付", "統計データの入力", "問い合わせへの回答", "現場写真の整理", "支払伝票の作成",
         "勤務表の作成", "物品の発注", "会議室の予約", "来庁者の案内", "届出の審査", "台帳の更新", "報告書の作成"]
WAYS = ["紙の様式に手書き", "Excelに手入力", "電話とFAXでやり取り", "紙で回覧して押印", "メールで個別に収集",
        "窓口で対面"]
TOOLS = [("Microsoft Forms", "フォームで受け付けてリストに自動で集める"),
         ("Power Apps", "アプリで入力して一覧で管理する"),
         ("Power Automate", "フローで通知と集計を自動にする"), ("Teams", "チャネルで共有して紙をなくす"),
         ("SharePoint", "リストで一元管理して検索できるようにする"), ("Power BI", "レポートで集計を自動にする"),
         ("RPA", "定型の入力を自動で処理する"), ("電子決裁", "決裁を電子化して押印をなくす")]
COSTS = ["毎月20時間ほどかかっている", "転記ミスが起きている", "担当者しか状況が分からない", "紙の保管場所が足りない",
         "集計に毎週半日かかっている", "問い合わせのたびに台帳を探している"]


def proposal_text(rng: random.Random) -> tuple[str, str, str]:
    section, task, way = rng.choice(SECTIONS), rng.choice(TASKS), rng.choice(WAYS)
    tool, how = rng.choice(TOOLS)
    title = f"{section}の{task}を{tool}で効率化"
    problem = f"{section}では{task}を{way}で行っており、{rng.choice(COSTS)}。"
    return title, problem, f"{tool}を使い、{task}を{how}。"


def proposal_fields(n: int, rng: random.Random, proposer: str = "") -> dict[str, Any]:
    title, problem, idea = proposal_text(rng)
    return {"Title": title, "Kind": "業務改善提案", "Category": "その他", "Problem": problem, "Idea": idea,
            "ProposerEmail": f"p{n}@city.example.jp", "ProposerId": proposer or f"aad-p{n}",
            "SubmittedAt": "2026-06-01T00:00:00Z", "FiscalYear": 2026, "SubmissionId": f"R-{n:08X}",
            "Status": "受付", "SupportCount": 0}


def quantiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.99) - 1)]


async def lists() -> MemoryListStore:
    store = MemoryListStore()
    for spec in load_list_specs().values():
        await store.ensure_list(spec)
    return store


async def similar_lookup(count: int, queries: int = 200) -> None:
    store = await lists()
    await import_entries(store, seed_entries(), replace=True)
    rng = random.Random(7)
    rows = [Upsert(f"2026-{n:05d}", proposal_fields(n, rng)) for n in range(1, count + 1)]
    for start in range(0, len(rows), 1000):
        await store.create("Proposals", rows[start:start + 1000])
    faq = await FaqService.load(store, None)
    analyzer = Analyzer(Synonyms.load())
    similar = SimilarProposals(store, lambda: analyzer, lambda: faq.matcher.entries.values())
    started = time.perf_counter()
    await similar.refresh()
    indexed = time.perf_counter() - started

    asked = random.Random(11)
    lookups, turns, found = [], [], 0
    for i in range(queries):
        title, problem, idea = proposal_text(asked)
        t = time.perf_counter()
        alike = await similar.like(f"{title}\n{problem}\n{idea}", 3, 0.3)
        lookups.append(time.perf_counter() - t)
        found += bool(alike)
        t = time.perf_counter()
        await faq.ask(f"{QUESTIONS[i % len(QUESTIONS)]}（{i}）")
        turns.append(time.perf_counter() - t)
    (lp50, lp99), (fp50, fp99) = quantiles(lookups), quantiles(turns)
    print(f"similar proposals among {count:,} (words; {queries} new proposals, {found} found similar ones)")
    print(f"  indexing the list          {indexed:6.1f} s (at start; after a filing, again in the background)")
    print(f"  similar-proposal lookup    p50 {lp50 * 1000:7.1f} ms  p99 {lp99 * 1000:7.1f} ms")
    print(f"  FAQ turn (words, baseline) p50 {fp50 * 1000:7.1f} ms  p99 {fp99 * 1000:7.1f} ms   "
          f"(lookup ×{lp50 / fp50:.0f} at p50)")


class Connector:
    """A Bot Connector on loopback that counts proactive messages per conversation and answers
    the first `storm` of them 429 with Retry-After."""

    def __init__(self, storm: int) -> None:
        self.received: Counter[str] = Counter()
        self.storm = storm
        self.throttled = 0

    async def post(self, request: web.Request) -> web.Response:
        if self.throttled < self.storm:
            self.throttled += 1
            return web.json_response({"error": {"code": "TooManyRequests"}}, status=429,
                                     headers={"Retry-After": "1"})
        await request.read()
        self.received[request.match_info["conversation"]] += 1
        return web.json_response({"id": f"m{sum(self.received.values())}"})


async def notifications(changes: int, storm: int = 5) -> None:
    connector = Connector(storm)
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities", connector.post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    service_url = f"http://127.0.0.1:{port}/"
    try:
        store, state = await lists(), MemoryBotState()
        rng = random.Random(3)
        await store.create("Proposals", [Upsert(f"2026-{n:05d}", proposal_fields(n, rng)) for n in range(changes)])
        for n in range(changes):
            await state.conversations.remember(ConversationReference(
                f"aad-p{n}", f"a:personal-p{n}", service_url, "msteams", "28:bot", f"29:p{n}", "personal", "t"))
        async with aiohttp.ClientSession() as http:
            async def no_token() -> None:
                return None

            notifier = BotConnectorNotifier(http, no_token, state.conversations, pacer=TeamsPacer(),
                                            retry=RetryRule(attempts=8))
            watch = StatusWatch(store, state, notifier, lambda change: {"type": "AdaptiveCard", "version": "1.5",
                                                                       "body": [{"type": "TextBlock",
                                                                                 "text": change["status"]}]})
            await watch.run_once()  # the first look: what is there is not news
            await store.upsert("Proposals", [Upsert(f"2026-{n:05d}", {"Status": "審査中"}) for n in range(changes)])
            started = time.perf_counter()
            told = await watch.run_once()
            worker = OutboxWorker(state.outbox, watch.handlers(state.conversations), base=0.5)
            while await state.outbox.pending():
                await worker.run_once()
                if await state.outbox.pending():
                    await asyncio.sleep(0.05)
            seconds = time.perf_counter() - started
    finally:
        await runner.cleanup()
    minimum = changes / 50
    lost = sum(1 for n in range(changes) if connector.received[f"a:personal-p{n}"] == 0)
    twice = sum(1 for c in connector.received.values() if c > 1)
    print(f"status notifications: {changes:,} changes, {told:,} enqueued, {connector.throttled} answered 429 first")
    print(f"  delivered in {seconds:6.1f} s   Teams' limit allows it in {minimum:.1f} s at best "
          f"(×{seconds / minimum:.2f})   lost {lost}   sent twice {twice}")


async def main(proposals: int = 10_000, changes: int = 1000) -> None:
    await similar_lookup(proposals)
    await notifications(changes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.proposals, args.changes))
