"""Time that passes only when code sleeps: a monotonic clock and its sleep, for pacing tests."""

from __future__ import annotations


class FakeTime:
    """`clock()` reads the time; `await sleep(s)` moves it on at once."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
