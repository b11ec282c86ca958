"""Single Graph calls and JSON `$batch`, built by us, sent through the SDK's HTTP client.

msgraph-core 1.5's batch helpers cannot be used as they are (absolute URLs that Graph answers
with 400 per sub-request, `depends_on` instead of `dependsOn`, JSON bodies of sub-responses
dropped, a batch of exactly 20 refused, inner 429s never retried, an undeclared import). So the
product builds the batch itself — relative URLs, at most 20 requests, responses matched by id —
and sends it through the SDK's own httpx client, so proxy, CA bundle, User-Agent and the bearer
token (from the SDK's auth provider) apply exactly as for single calls.
https://learn.microsoft.com/graph/json-batching
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Sequence

import httpx

from liststore.errors import TransientError
from liststore.sharepoint.client import GraphConnection
from liststore.sharepoint.pacing import Pacer
from liststore.sharepoint.retry import RETRYABLE, RetryPolicy, classify, retry_after_seconds

logger = logging.getLogger(__name__)

MAX_BATCH = 20


@dataclass(frozen=True, slots=True)
class SubRequest:
    """One request of a batch. `url` is relative to the version root, e.g. `/sites/…/items`."""

    id: str
    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    cost: float = 2.0  # resource units; writes cost 2

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            out["body"] = self.body
            headers.setdefault("Content-Type", "application/json")
        if headers:
            out["headers"] = headers
        return out


@dataclass(frozen=True, slots=True)
class SubResponse:
    """The final answer to one sub-request (after retries)."""

    id: str
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class TransportStats:
    """What went over the wire, for run reports and benchmarks."""

    http_requests: int = 0
    batches: int = 0
    sub_requests: int = 0
    retries: int = 0
    throttled: int = 0


class GraphTransport:
    """Sends Graph requests with one retry policy, pacing, and error classification."""

    def __init__(
        self,
        connection: GraphConnection,
        *,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.connection = connection
        self.policy = policy or RetryPolicy()
        self.pacer = pacer or Pacer(None)
        self.stats = TransportStats()
        self._slots = asyncio.Semaphore(concurrency)
        self._sleep = sleep
        self._rng = rng or random.Random()

    def absolute(self, url: str) -> str:
        """`@odata.nextLink` values are absolute already; our own paths are not."""
        return url if url.startswith(("https://", "http://")) else self.connection.base_url + url

    async def _send(self, method: str, url: str, body: Any, headers: Mapping[str, str]) -> httpx.Response:
        full = self.absolute(url)
        all_headers = {"Authorization": await self.connection.bearer(full), "Accept": "application/json",
                       **headers}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        self.stats.http_requests += 1
        try:
            return await self.connection.http.request(method, full, content=content, headers=all_headers)
        except (httpx.TransportError, ConnectionError) as exc:
            # A dropped connection may have committed work; callers make creates idempotent.
            raise TransientError(f"{method} {url}: connection failed ({type(exc).__name__})") from exc

    async def call(
        self, method: str, url: str, body: Any = None, *, headers: Mapping[str, str] | None = None,
        cost: float = 1.0, what: str | None = None,
    ) -> tuple[int, Mapping[str, str], Any]:
        """One request with retries; raises the classified error when it finally fails."""
        label = what or f"{method} {url.split('?')[0]}"
        attempt = 0
        while True:
            await self.pacer.acquire(cost)
            try:
                async with self._slots:
                    response = await self._send(method, url, body, headers or {})
            except TransientError as exc:
                error: Exception = exc
                retry_after = None
            else:
                resp_headers = dict(response.headers)
                self.pacer.observe(response.status_code, resp_headers)
                payload = _json(response)
                err = classify(response.status_code, resp_headers, payload, label)
                if err is None:
                    return response.status_code, resp_headers, payload
                if not isinstance(err, TransientError):
                    raise err
                if response.status_code == 429:
                    self.stats.throttled += 1
                error, retry_after = err, err.retry_after
            attempt += 1
            if attempt >= self.policy.max_attempts:
                raise error
            self.stats.retries += 1
            await self._sleep(self.policy.delay(attempt - 1, retry_after, self._rng))

    async def batch(self, requests: Sequence[SubRequest]) -> dict[str, SubResponse]:
        """Send `requests` in batches of at most 20; retry throttled and failed ones.

        Returns the final response of every sub-request by id. A sub-request still throttled
        after the policy's attempts comes back with its last (429/503/504) status.
        """
        results: dict[str, SubResponse] = {}
        pending = list(requests)
        attempt = 0
        while pending:
            chunks = [pending[i : i + MAX_BATCH] for i in range(0, len(pending), MAX_BATCH)]
            outcomes = await asyncio.gather(*(self._one_batch(c) for c in chunks))
            retry: list[SubRequest] = []
            waits: list[float] = []
            for chunk, outcome in zip(chunks, outcomes):
                if isinstance(outcome, TransientError):
                    retry.extend(chunk)
                    if outcome.retry_after is not None:
                        waits.append(outcome.retry_after)
                    continue
                by_id = {r.id: r for r in chunk}
                for sub in outcome:
                    if sub.status in RETRYABLE:
                        retry.append(by_id[sub.id])
                        if sub.status == 429:
                            self.stats.throttled += 1
                        wait = retry_after_seconds(sub.headers)
                        if wait is not None:
                            waits.append(wait)
                    results[sub.id] = sub
                missing = [r for r in chunk if r.id not in {s.id for s in outcome}]
                retry.extend(missing)  # a response without some ids: ask again
            if not retry:
                break
            attempt += 1
            if attempt >= self.policy.max_attempts:
                logger.warning("batch: %d sub-requests still failing after %d attempts",
                               len(retry), attempt)
                break
            self.stats.retries += len(retry)
            await self._sleep(self.policy.delay(attempt - 1, max(waits) if waits else None, self._rng))
            pending = retry
        return results

    async def _one_batch(self, chunk: Sequence[SubRequest]) -> list[SubResponse] | TransientError:
        await self.pacer.acquire(sum(r.cost for r in chunk))
        self.stats.batches += 1
        self.stats.sub_requests += len(chunk)
        try:
            async with self._slots:
                response = await self._send("POST", "/$batch",
                                            {"requests": [r.as_json() for r in chunk]}, {})
        except TransientError as exc:
            return exc
        headers = dict(response.headers)
        payload = _json(response)
        err = classify(response.status_code, headers, payload, "POST /$batch")
        if err is not None:
            if isinstance(err, TransientError):
                self.pacer.observe(response.status_code, headers)
                return err
            raise err
        subs = []
        for raw in (payload or {}).get("responses", []):
            sub_headers = {str(k): str(v) for k, v in (raw.get("headers") or {}).items()}
            self.pacer.observe(int(raw.get("status", 0)), sub_headers)
            subs.append(SubResponse(str(raw.get("id")), int(raw.get("status", 0)), sub_headers,
                                    raw.get("body")))
        return subs


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
