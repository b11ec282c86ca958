"""The retry policy, Graph's wait headers, error classification and the pacer (clock injected)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from liststore import AlreadyExistsError, AuthError, ConflictError, PermanentError, TransientError
from liststore.sharepoint.pacing import Pacer
from liststore.sharepoint.retry import RetryPolicy, classify, retry_after_seconds
from tests.fakes.clock import FakeTime


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, None),
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": "3", "RateLimit-Reset": "11"}, 11.0),  # the larger of the two
    ({"Retry-After": "12", "RateLimit-Reset": "4"}, 12.0),
    ({"RateLimit-Reset": "5"}, 5.0),
    ({"Retry-After": "soon"}, None),
])
def test_retry_after_takes_the_larger_wait(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_as_an_http_date() -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    wait = retry_after_seconds({"Retry-After": format_datetime(when, usegmt=True)})
    assert wait is not None and 25 <= wait <= 31


def test_policy_honours_the_service_then_backs_off_exponentially_with_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    rng = random.Random(3)
    assert policy.delay(0, 42.0, rng) == 42.0
    assert policy.delay(0, 10_000.0, rng) == policy.max_server_delay
    delays = [policy.delay(n, None, rng) for n in range(8)]
    for n, d in enumerate(delays):
        ceiling = min(8.0, 0.5 * 2 ** n)
        assert ceiling / 2 <= d <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, not lock-step


@pytest.mark.parametrize(("status", "kind"), [
    (200, None), (201, None), (204, None), (429, TransientError), (503, TransientError),
    (504, TransientError), (500, TransientError), (401, AuthError), (403, AuthError),
    (409, AlreadyExistsError), (412, ConflictError), (400, PermanentError), (404, PermanentError),
    (410, PermanentError),
])
def test_one_classification_for_every_response(status: int, kind: type | None) -> None:
    err = classify(status, {"Retry-After": "2"}, {"error": {"code": "c", "message": "m"}}, "Staff 012345")
    if kind is None:
        assert err is None
    else:
        assert type(err) is kind and "Staff 012345" in str(err)
        assert err.status == status  # callers decide by the status, never by the message
        if kind is TransientError:
            assert isinstance(err, TransientError) and err.retry_after == 2.0


async def test_pacer_spends_its_burst_then_paces_at_the_budget() -> None:
    t = FakeTime()
    pacer = Pacer(120, window=60.0, clock=t.clock, sleep=t.sleep)  # 2 RU/s, burst of 120
    for _ in range(60):
        await pacer.acquire(2)
    assert t.now == 0.0  # the burst costs no waiting
    for _ in range(10):
        await pacer.acquire(2)
    assert t.now == pytest.approx(10.0)  # then 2 RU a second: 20 RU in 10 s


async def test_pacer_pauses_on_429_and_slows_down() -> None:
    t = FakeTime()
    pacer = Pacer(600, window=60.0, clock=t.clock, sleep=t.sleep)
    pacer.observe(429, {"Retry-After": "5"})
    assert pacer.rate is not None and pacer.rate < 10.0 and pacer.throttled == 1
    await pacer.acquire(1)
    assert t.now >= 5.0


async def test_pacer_trusts_the_services_remaining_budget() -> None:
    t = FakeTime()
    pacer = Pacer(600, window=60.0, clock=t.clock, sleep=t.sleep)
    pacer.observe(200, {"RateLimit-Remaining": "4", "RateLimit-Reset": "30"})
    await pacer.acquire(4)
    assert t.now == 0.0
    await pacer.acquire(10)
    assert t.now == pytest.approx(1.0)  # 10 RU at 10 RU/s


async def test_no_budget_means_no_pacing() -> None:
    t = FakeTime()
    pacer = Pacer(None, clock=t.clock, sleep=t.sleep)
    for _ in range(1000):
        await pacer.acquire(2)
    assert t.now == 0.0
