"""The scheduler with an injected clock: timing, backoff, edge-only logging, locks."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

import pytest

from graph_sync.cron import JST, Cron
from graph_sync.lock import FileRunLock, MemoryLocks, MemoryRunLock
from graph_sync.scheduler import Job, Scheduler


class FakeTime:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def make(tmp_path: Path, t: FakeTime, outcomes: list[bool], calls: list[tuple[str, datetime]],
         expr: str = "30 2 * * *") -> Scheduler:
    async def run_job(name: str, resources: Sequence[str]) -> bool:
        calls.append((name, t.now))
        return outcomes.pop(0) if outcomes else True

    return Scheduler([Job("nightly", Cron.parse(expr), ("staff", "completions"))], run_job,
                     lambda: FileRunLock(tmp_path / "locks"), clock=t.clock, sleep=t.sleep, jitter=30,
                     rng=random.Random(1))


async def run_until(s: Scheduler, t: FakeTime, until: datetime) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(stop))
    while t.now < until and not task.done():  # a scheduler that died says why below
        await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_fires_on_schedule_with_jitter(tmp_path: Path) -> None:
    t = FakeTime(datetime(2026, 11, 23, 0, 0, tzinfo=JST))
    calls: list[tuple[str, datetime]] = []
    s = make(tmp_path, t, [], calls)
    await run_until(s, t, datetime(2026, 11, 25, 12, 0, tzinfo=JST))
    assert [c[0] for c in calls] == ["nightly"] * 3
    for (_, when), day in zip(calls, (23, 24, 25)):
        planned = datetime(2026, 11, day, 2, 30, tzinfo=JST)
        assert planned <= when <= planned + timedelta(seconds=30)
    assert s.healthy() and s.health()["jobs"][0]["last_result"] == "ok"  # type: ignore[index]


async def test_a_failing_job_backs_off_and_logs_only_on_edges(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    t = FakeTime(datetime(2026, 11, 23, 2, 29, tzinfo=JST))
    calls: list[tuple[str, datetime]] = []
    s = make(tmp_path, t, [False, False, False, True], calls)
    with caplog.at_level(logging.INFO, logger="graph_sync.scheduler"):
        await run_until(s, t, datetime(2026, 11, 23, 4, 0, tzinfo=JST))
    gaps = [(b[1] - a[1]).total_seconds() for a, b in zip(calls, calls[1:])]
    assert [round(g) for g in gaps[:3]] == [300, 600, 1200]  # 5, 10, 20 minutes
    messages = [r.getMessage() for r in caplog.records]
    assert sum("failing" in m for m in messages) == 1
    assert sum("recovered after 3 failed runs" in m for m in messages) == 1
    assert s.healthy()


async def test_unhealthy_while_failing(tmp_path: Path) -> None:
    t = FakeTime(datetime(2026, 11, 23, 2, 29, tzinfo=JST))
    s = make(tmp_path, t, [False] * 50, [])
    await run_until(s, t, datetime(2026, 11, 23, 3, 0, tzinfo=JST))
    assert not s.healthy() and s.health()["status"] == "failing"


async def test_a_job_never_overlaps_another_run_across_processes(tmp_path: Path) -> None:
    held = FileRunLock(tmp_path / "locks")
    assert await held.acquire()  # as if a dx-sync run or another scheduler were mid-run
    t = FakeTime(datetime(2026, 11, 23, 2, 29, tzinfo=JST))
    calls: list[tuple[str, datetime]] = []
    s = make(tmp_path, t, [], calls)
    await s.fire(s.jobs[0])
    assert calls == [] and s.status["nightly"].last_result == "skipped"
    # Tried again in minutes, not at tomorrow's 02:30.
    assert s.status["nightly"].next_run - t.clock() <= timedelta(seconds=s.busy_retry)
    await held.release()
    await s.fire(s.jobs[0])
    assert len(calls) == 1


class UnreachableLock:
    """A run lock in shared storage that cannot be reached for now (the network is down)."""

    async def acquire(self) -> bool:
        raise ConnectionError("Cannot connect to host 127.0.0.1:10000")

    async def holder(self) -> str:
        return "?"

    async def release(self) -> None:
        raise ConnectionError("Cannot connect to host 127.0.0.1:10000")


async def test_a_lock_that_cannot_be_reached_fails_the_run_not_the_scheduler(tmp_path: Path) -> None:
    t = FakeTime(datetime(2026, 11, 23, 2, 29, tzinfo=JST))
    calls: list[tuple[str, datetime]] = []
    down = [True]
    s = Scheduler([Job("nightly", Cron.parse("30 2 * * *"), ("staff",))],
                  make(tmp_path, t, [], calls).run_job,
                  lambda: UnreachableLock() if down[0] else FileRunLock(tmp_path / "locks"),
                  clock=t.clock, sleep=t.sleep, jitter=0, rng=random.Random(1))
    await run_until(s, t, datetime(2026, 11, 23, 2, 31, tzinfo=JST))
    assert calls == [] and s.status["nightly"].last_result == "failed" and not s.healthy()
    down[0] = False  # storage is back: the retry runs the job
    await run_until(s, t, datetime(2026, 11, 23, 2, 40, tzinfo=JST))
    assert len(calls) == 1 and s.healthy()


async def test_a_job_whose_lock_is_lost_stops_and_fails_not_the_scheduler() -> None:
    t = FakeTime(datetime(2026, 11, 23, 2, 29, tzinfo=JST))
    locks, kept_writing = MemoryLocks(), []
    lock = MemoryRunLock(locks)

    async def run_job(name: str, resources: Sequence[str]) -> bool:
        lock.lost.set()  # as a renewal that finds the lease gone would
        await asyncio.sleep(30)
        kept_writing.append(name)  # pragma: no cover - never reached
        return True

    s = Scheduler([Job("nightly", Cron.parse("30 2 * * *"), ("staff",))], run_job, lambda: lock,
                  clock=t.clock, sleep=t.sleep, jitter=0, rng=random.Random(1))
    await s.fire(s.jobs[0])
    assert kept_writing == [] and s.status["nightly"].last_result == "failed"
    assert locks.holders == {}  # released on the way out
