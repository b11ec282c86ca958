"""The outbox contract, on the in-memory twin, SQLite and Azure Table storage (Azurite): work
enqueued once per key, delivered once its handler succeeds, retried with backoff when it fails,
set aside when it can never succeed, taken by one worker at a time, and still there after a
restart between enqueue and delivery."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, AsyncIterator, Mapping

import pytest

from azurestore import StateStorage
from bot.azure_state import TableOutbox
from bot.outbox import CLAIM_SECONDS, MemoryOutbox, Outbox, OutboxWorker, SqliteOutbox, Undeliverable
from tests.fakes.azurite import unique_prefix


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", "azure"])
async def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Outbox]:
    box: Outbox
    storage = None
    if request.param == "azure":
        storage = StateStorage(request.getfixturevalue("azurite").connection_string, unique_prefix())
        box = TableOutbox(storage)
    else:
        box = MemoryOutbox() if request.param == "memory" else SqliteOutbox(tmp_path / "bot-state.sqlite3")
    yield box
    await box.close()
    if storage is not None:
        await storage.close()


class Effects:
    """A handler whose effect is keyed by the idempotency key, as a list item or a sent message is."""

    def __init__(self, fail: int = 0, error: Exception | None = None) -> None:
        self.done: dict[str, Mapping[str, Any]] = {}
        self.calls = 0
        self.fail, self.error = fail, error

    async def __call__(self, key: str, payload: Mapping[str, Any]) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("the store is down")
        self.done[key] = payload


async def test_a_key_is_enqueued_once(outbox: Outbox) -> None:
    assert await outbox.enqueue("proposal-1", "file", {"title": "ペーパーレス化"}, now=0)
    assert not await outbox.enqueue("proposal-1", "file", {"title": "別の内容"}, now=0)
    [item] = await outbox.due(now=0)
    assert item.payload == {"title": "ペーパーレス化"} and await outbox.pending() == 1


async def test_due_work_is_delivered_and_leaves_the_outbox(outbox: Outbox) -> None:
    clock, effects = Clock(), Effects()
    for n in range(3):
        await outbox.enqueue(f"k{n}", "file", {"n": n}, now=clock())
    worker = OutboxWorker(outbox, {"file": effects}, clock=clock)
    assert await worker.run_once() == 3
    assert effects.done == {"k0": {"n": 0}, "k1": {"n": 1}, "k2": {"n": 2}}
    assert await outbox.pending() == 0 and await worker.run_once() == 0


async def test_a_failure_is_retried_later_with_backoff_until_it_succeeds(outbox: Outbox) -> None:
    clock, effects = Clock(), Effects(fail=3)
    await outbox.enqueue("k", "file", {"x": 1}, now=clock())
    worker = OutboxWorker(outbox, {"file": effects}, clock=clock, base=5, rng=random.Random(1))
    waits = []
    for _ in range(3):
        assert await worker.run_once() == 0
        [item] = await outbox.due(now=10**9)
        waits.append(item.due - clock())
        assert await worker.run_once() == 0  # not yet due: nothing is tried
        clock.now = item.due
    assert all(5 <= w for w in waits) and item.attempts == 3 and "store is down" in (item.error or "")
    assert await worker.run_once() == 1 and effects.done == {"k": {"x": 1}} and effects.calls == 4


async def test_work_that_can_never_succeed_is_set_aside(outbox: Outbox) -> None:
    clock = Clock()
    await outbox.enqueue("bad", "file", {}, now=clock())
    await outbox.enqueue("unknown", "nobody-handles-this", {}, now=clock())
    worker = OutboxWorker(outbox, {"file": Effects(error=Undeliverable("the list refuses it"))}, clock=clock)
    assert await worker.run_once() == 0
    assert await outbox.pending() == 0 and await outbox.due(now=10**9) == []


async def test_retries_run_out(outbox: Outbox) -> None:
    clock, effects = Clock(), Effects(fail=100)
    await outbox.enqueue("k", "file", {}, now=clock())
    worker = OutboxWorker(outbox, {"file": effects}, clock=clock, attempts=3)
    for _ in range(3):
        await worker.run_once()
        clock.now += 10**6
    assert effects.calls == 3 and await outbox.pending() == 0


async def test_a_restart_between_enqueue_and_delivery_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot-state.sqlite3"
    before = SqliteOutbox(path)
    await before.enqueue("proposal-7", "file", {"title": "窓口の予約をアプリで"}, now=0)
    await before.close()  # the process stops here

    after = SqliteOutbox(path)
    effects = Effects()
    assert await OutboxWorker(after, {"file": effects}, clock=lambda: 1.0).run_once() == 1
    assert effects.done == {"proposal-7": {"title": "窓口の予約をアプリで"}}
    await after.close()


async def test_a_crash_after_the_effect_and_before_delivered_repeats_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot-state.sqlite3"
    box = SqliteOutbox(path)
    await box.enqueue("proposal-8", "file", {"title": "押印の廃止"}, now=0)
    effects = Effects()
    [item] = await box.due(now=1)
    await effects(item.key, item.payload)  # the effect happened; the process died before `delivered`
    await box.close()

    box = SqliteOutbox(path)
    assert await OutboxWorker(box, {"file": effects}, clock=lambda: 2.0).run_once() == 1
    assert effects.calls == 2 and list(effects.done) == ["proposal-8"]  # keyed: one effect
    assert await box.pending() == 0
    await box.close()


async def test_a_delivered_key_stays_taken_until_it_is_pruned(outbox: Outbox) -> None:
    effects = Effects()
    await outbox.enqueue("question-1", "file", {"n": 1}, now=0)
    assert await OutboxWorker(outbox, {"file": effects}, clock=lambda: 10.0).run_once() == 1
    assert not await outbox.enqueue("question-1", "file", {"n": 2}, now=20)  # the same work again
    assert await outbox.prune(before=5.0) == 0 and await outbox.due(now=30) == []
    assert await outbox.prune(before=11.0) == 1
    assert await outbox.enqueue("question-1", "file", {"n": 3}, now=40)


async def test_an_item_is_taken_by_one_worker_at_a_time(outbox: Outbox) -> None:
    await outbox.enqueue("k", "file", {}, now=0)
    [item] = await outbox.due(now=1)
    assert await outbox.claim(item.key, now=1, until=1 + CLAIM_SECONDS)
    assert not await outbox.claim(item.key, now=1, until=1 + CLAIM_SECONDS)  # a second worker read it too
    assert await outbox.due(now=2) == [] and await outbox.pending() == 1


async def test_an_item_whose_worker_died_is_delivered_once_its_claim_runs_out(outbox: Outbox) -> None:
    await outbox.enqueue("k", "file", {"n": 1}, now=0)
    assert await outbox.claim("k", now=1, until=1 + CLAIM_SECONDS)  # and the worker died
    effects = Effects()
    assert await OutboxWorker(outbox, {"file": effects}, clock=lambda: 2.0).run_once() == 0
    assert await OutboxWorker(outbox, {"file": effects}, clock=lambda: 1.0 + CLAIM_SECONDS).run_once() == 1
    assert effects.done == {"k": {"n": 1}} and await outbox.pending() == 0
