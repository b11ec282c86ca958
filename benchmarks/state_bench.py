"""The bot's state on SQLite (one instance) against Azure Table storage (several instances), in
the same run, through the same `BotState` interface:

1. a turn's commit (a card and its Questions-list work, as a no-answer turn makes), p50 / p99;
2. reading a card back (a button press), p50 / p99;
3. an outbox round: due → claim → delivered for each of 50 items, items a second.

Azure is Azurite, Microsoft's emulator, on loopback: the figures show what the state's own
round trips cost beside SQLite's, not Azure's network latency (add the region's round trip per
request: about 2 requests a commit, 1 a read and 4 an outbox item).

    python -m benchmarks.state_bench [--turns 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from azurestore import StateStorage
from bot.azure_state import TableBotState
from bot.outbox import OutboxWorker
from bot.sent_cards import SentCard, new_card_id
from bot.state import BotState, SqliteBotState, Work
from tests.fakes.azurite import AzuriteProcess, unique_prefix


def _pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] * 1000 if len(samples) > 1 else samples[0] * 1000


async def _measure(open_state: Callable[[], BotState], turns: int) -> dict[str, float]:
    state = open_state()
    commits, reads = [], []
    cards = []
    for n in range(turns):
        card = SentCard(new_card_id(), "no_answer", f"aad-user-{n % 40}", f"質問 {n}", f"Q-{n:06}",
                        "2026-11-30T09:00:00Z", faq_id="FAQ-0015", score=0.12)
        started = time.perf_counter()
        await state.commit(cards=[card], work=[Work(f"Q-{n:06}:asked", "questions.write", {"q": n})], now=0)
        commits.append(time.perf_counter() - started)
        cards.append(card)
    for card in cards:
        started = time.perf_counter()
        await state.cards.get(card.card_id)
        reads.append(time.perf_counter() - started)

    async def deliver(key: str, payload: Mapping[str, Any]) -> None:
        return None

    worker = OutboxWorker(state.outbox, {"questions.write": deliver}, clock=lambda: 1.0)
    started = time.perf_counter()
    delivered = 0
    while (done := await worker.run_once()) > 0:
        delivered += done
    rate = delivered / (time.perf_counter() - started)
    await state.close()
    return {"commit p50": _pct(commits, 50), "commit p99": _pct(commits, 99),
            "read p50": _pct(reads, 50), "read p99": _pct(reads, 99), "outbox items/s": rate}


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args(argv or [])
    azurite = AzuriteProcess()
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite = await _measure(lambda: SqliteBotState(Path(folder) / "bot-state.sqlite3"), args.turns)
        connection, prefix = azurite.azurite.connection_string, unique_prefix()
        azure = await _measure(lambda: TableBotState(StateStorage(connection, prefix)), args.turns)
    finally:
        azurite.stop()
    print(f"bot state, {args.turns} turns (milliseconds, but the outbox rate)")
    print(f"{'':18}{'SQLite':>10}{'Azure (Azurite)':>18}{'ratio':>8}")
    for name in sqlite:
        print(f"{name:18}{sqlite[name]:10.2f}{azure[name]:18.2f}{azure[name] / sqlite[name]:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
