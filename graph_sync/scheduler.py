"""The scheduler owns time; `run_once` owns the work.

Each job fires on its cron (JST) plus a little jitter, so several cities' workers do not all
hit Graph at 02:30:00. A job never overlaps another sync run, in this process or any other
(the data directory's run lock, or the shared state's lease, which `dx-sync run` takes too).
A failing job is retried with a growing backoff instead of waiting a whole day, and the log
speaks only on edges: when a job starts failing and when it recovers, not on every failed
attempt in between.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Awaitable, Callable, Sequence

from graph_sync.cron import Cron
from graph_sync.lock import RunLock, watching

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Runs one job; True when it succeeded (every row landed, no safety stop).
RunJob = Callable[[str, Sequence[str]], Awaitable[bool]]


@dataclass
class JobStatus:
    """What /healthz and the log know about one job."""

    name: str
    cron: str
    resources: tuple[str, ...]
    next_run: datetime
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_result: str | None = None  # ok | failed | skipped (running elsewhere)
    failing_streak: int = 0
    running: bool = False

    def as_dict(self) -> dict[str, object]:
        def iso(d: datetime | None) -> str | None:
            return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if d else None

        return {"name": self.name, "cron": self.cron, "resources": list(self.resources),
                "next_run": iso(self.next_run), "last_started": iso(self.last_started),
                "last_finished": iso(self.last_finished), "last_result": self.last_result,
                "failing_streak": self.failing_streak, "running": self.running}


@dataclass(frozen=True)
class Job:
    name: str
    cron: Cron
    resources: tuple[str, ...]


@dataclass
class Scheduler:
    """Runs jobs on their schedules until stopped."""

    jobs: Sequence[Job]
    run_job: RunJob
    lock: Callable[[], RunLock]  # a fresh handle on the data directory's run lock
    clock: Clock = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    jitter: float = 60.0
    backoff_base: float = 300.0
    backoff_cap: float = 6 * 3600.0
    busy_retry: float = 300.0  # another run holds the lock: look again after this long
    rng: random.Random = field(default_factory=random.Random)
    status: dict[str, JobStatus] = field(init=False)

    def __post_init__(self) -> None:
        now = self.clock()
        self.status = {j.name: JobStatus(j.name, j.cron.expression, j.resources, self._next(j, now))
                       for j in self.jobs}

    def _next(self, job: Job, after: datetime) -> datetime:
        return job.cron.next_after(after) + timedelta(seconds=self.rng.uniform(0, self.jitter))

    def healthy(self) -> bool:
        """False while any job is failing."""
        return not any(s.failing_streak for s in self.status.values())

    def health(self) -> dict[str, object]:
        return {"status": "ok" if self.healthy() else "failing",
                "jobs": [s.as_dict() for s in self.status.values()]}

    async def run(self, stop: asyncio.Event) -> None:
        """Fire jobs as they come due, one at a time, until `stop` is set."""
        by_name = {j.name: j for j in self.jobs}
        while not stop.is_set() and self.jobs:
            due = min(self.status.values(), key=lambda s: s.next_run)
            wait = (due.next_run - self.clock()).total_seconds()
            if wait > 0:
                sleeper = asyncio.ensure_future(self.sleep(min(wait, 3600)))
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
                sleeper.cancel()
                stopper.cancel()
                continue
            await self.fire(by_name[due.name])

    async def fire(self, job: Job) -> None:
        """Run `job` now (under its lock) and schedule its next run."""
        st = self.status[job.name]
        lock = self.lock()
        try:
            acquired: bool | None = await lock.acquire()
        except Exception:  # noqa: BLE001 - a lock that cannot be reached now (shared storage down) fails this run only
            logger.exception("job %s: the run lock cannot be taken now", job.name)
            acquired = None
        if acquired is False:
            # Another run (a manual `dx-sync run`, another job) has the data directory: try
            # again shortly rather than a whole cron period later.
            logger.info("job %s: another sync run holds the lock; trying again shortly", job.name)
            st.last_result = "skipped"
            now = self.clock()
            st.next_run = min(self._next(job, now), now + timedelta(seconds=self.busy_retry))
            return
        ok = False
        if acquired:
            st.running, st.last_started = True, self.clock()
            try:
                async with watching(lock):  # a lost lock stops the job (LockLost), not the scheduler
                    ok = await self.run_job(job.name, job.resources)
            except Exception:  # noqa: BLE001 - a job failing must never stop the scheduler
                logger.exception("job %s: run raised", job.name)
            finally:
                try:
                    await lock.release()
                except Exception:  # noqa: BLE001 - a lease not released runs out by itself
                    logger.exception("job %s: releasing the run lock failed", job.name)
                st.running, st.last_finished = False, self.clock()
        now = self.clock()
        regular = self._next(job, now)
        if ok:
            if st.failing_streak:
                logger.info("job %s: recovered after %d failed runs", job.name, st.failing_streak)
            st.failing_streak, st.last_result, st.next_run = 0, "ok", regular
            return
        st.failing_streak += 1
        st.last_result = "failed"
        if st.failing_streak == 1:
            logger.warning("job %s: failing; retrying with backoff until it recovers", job.name)
        backoff = min(self.backoff_cap, self.backoff_base * 2 ** (st.failing_streak - 1))
        st.next_run = min(regular, now + timedelta(seconds=backoff))
