"""Keep writes under SharePoint's resource-unit budget instead of running into 429s."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, Mapping

from liststore.sharepoint.retry import retry_after_seconds


class Pacer:
    """A client-side token bucket mirroring the tenant's budget for this app.

    SharePoint grants an app a number of resource units (RU) a minute by tenant size (a
    create, update or delete costs 2 RU; 2,500 RU/min for 1,001–5,000 licences). Spending at
    that rate, no faster, keeps throughput near the budget without 429s. The bucket adapts:
    past 80% of the budget SharePoint sends `RateLimit-Remaining`/`RateLimit-Reset`, which we
    trust over our own count, and a 429 (someone else shares the budget) pauses everyone and
    lowers the rate until the service stops complaining.
    """

    def __init__(
        self,
        ru_per_window: float | None,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # SharePoint's window is a minute; benchmarks compress it (with the fake's) to save time.
        self.window = window
        self.budget = ru_per_window
        self.rate = ru_per_window / window if ru_per_window else None
        self.capacity = ru_per_window or 0.0
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0
        self.throttled = 0

    def _refill(self) -> None:
        now = self._clock()
        if self.rate:
            self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, cost: float) -> None:
        """Wait until `cost` units may be spent."""
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    wait = self._paused_until - now
                elif self.rate is None:
                    return
                else:
                    self._refill()
                    if self.tokens >= min(cost, self.capacity):
                        self.tokens -= cost
                        return
                    wait = (min(cost, self.capacity) - self.tokens) / self.rate
                self.waited += wait
                await self._sleep(wait)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response (or sub-response): throttling and remaining-budget hints."""
        if status == 429:
            self.throttled += 1
            wait = retry_after_seconds(headers) or 1.0
            self._paused_until = max(self._paused_until, self._clock() + wait)
            if self.rate:
                # Someone else is spending the same budget: give way, then recover slowly.
                self.rate = max(self.rate * 0.8, (self.budget or 60) / (10 * self.window))
                self.tokens = 0.0
            return
        remaining = next((v for k, v in headers.items() if k.lower() == "ratelimit-remaining"), None)
        if remaining is not None and self.rate:
            try:
                self._refill()
                self.tokens = min(self.tokens, float(remaining))
            except ValueError:
                pass
        elif self.rate and self.budget and self.rate < self.budget / self.window:
            self.rate = min(self.budget / self.window, self.rate * 1.02)
