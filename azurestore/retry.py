"""Going on sending a transaction or an insert while the account is busy.

The SDK's retry policy gives up on a POST (an entity group transaction, `create_entity`) after
three retries of 503, and does not retry a 429 without Retry-After; a throttled account can
answer 503 Server Busy for longer. That answer means the request was not applied
(https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes), so sending
it again is safe; the wait is the answer's Retry-After, or a backoff with jitter.
"""

from __future__ import annotations

import asyncio
import random
from typing import Awaitable, Callable, TypeVar

from azure.core.exceptions import HttpResponseError

T = TypeVar("T")
ATTEMPTS = 8
BUSY = (429, 503)


def _retry_after(exc: HttpResponseError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


async def when_busy(call: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    """`call()`, sent again while the account answers busy (at most `attempts` times)."""
    for attempt in range(attempts):
        try:
            return await call()
        except HttpResponseError as exc:
            if exc.status_code not in BUSY or attempt == attempts - 1:
                raise
            wait = _retry_after(exc)
            await asyncio.sleep(wait if wait is not None else min(30.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1))
    raise AssertionError("unreachable")  # pragma: no cover
