"""The authenticated path: tokens signed by the test's own keys, served as OpenID metadata on
loopback; every token that cannot be valid is a 401 and reaches no handler."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.bot import activities as a
from tests.bot.conftest import RunningBot, running_bot
from tests.fakes.bot_connector import RunningConnector


@pytest.fixture
async def signed_bot(tmp_path: Path, connector: RunningConnector) -> AsyncIterator[RunningBot]:
    async with running_bot(tmp_path, connector, auth=True) as bot:
        yield bot


async def test_a_valid_token_is_answered_and_the_reply_is_signed(signed_bot: RunningBot) -> None:
    fake = signed_bot.connector.fake
    url = signed_bot.connector.service_url
    response = await signed_bot.post(a.personal_message(url, "会議を録画したい"), token=fake.token(url))
    assert response.status == 200
    for _ in range(100):
        if fake.replies:
            break
        await asyncio.sleep(0.02)
    assert len(fake.replies) == 1
    scheme, token = fake.reply_auth[0].split(" ", 1)
    assert scheme == "Bearer" and token in fake.issued  # from the bot's own app credentials


async def test_a_valid_token_on_an_invoke(signed_bot: RunningBot) -> None:
    fake = signed_bot.connector.fake
    url = signed_bot.connector.service_url
    response = await signed_bot.post(a.card_invoke(url, "help.show", {"verb": "help.show"}), token=fake.token(url))
    assert response.status == 200
    assert (await response.json())["type"] == "application/vnd.microsoft.card.adaptive"


@pytest.mark.parametrize("case", [
    "no token", "not a jwt", "expired", "wrong audience", "wrong issuer", "unknown signing key",
    "signed by someone else", "other service url", "basic scheme", "alg none", "alg HS256",
    "garbage header",
])
async def test_every_invalid_token_is_401_and_reaches_no_handler(signed_bot: RunningBot, case: str,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    fake = signed_bot.connector.fake
    url = signed_bot.connector.service_url
    activity = a.personal_message(url, "ヘルプ")
    token = {
        "no token": None,
        "not a jwt": "abc.def.ghi",
        "expired": fake.token(url, expires_in=-3600),
        "wrong audience": fake.token(url, audience="some-other-bot"),
        "wrong issuer": fake.token(url, issuer="https://evil.example.com"),
        "unknown signing key": fake.token(url, kid="no-such-key"),
        "signed by someone else": fake.token(url, stranger=True),
        "other service url": fake.token("https://smba.example.net/jp/"),
        "basic scheme": None,
        "alg none": fake.token(url, algorithm="none"),
        "alg HS256": fake.token(url, algorithm="HS256"),
        "garbage header": "eyJhbGciOiJSUzI1NiIsImtpZCI6WzFdfQ.e30.c2ln",
    }[case]
    headers = {"Authorization": "Basic dXNlcjpwYXNz"} if case == "basic scheme" else None
    if headers:
        response = await signed_bot.http.post(f"{signed_bot.url}/api/messages", json=activity, headers=headers)
    else:
        response = await signed_bot.post(activity, token=token)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "Unauthorized"
    await asyncio.sleep(0.05)
    assert fake.replies == []
    # One line for the operator, no traceback anyone could trigger.
    assert not [r for r in caplog.records if r.levelno >= 30 or r.exc_info]


async def test_an_invoke_without_a_token_is_401(signed_bot: RunningBot) -> None:
    url = signed_bot.connector.service_url
    response = await signed_bot.post(a.card_invoke(url, "faq.feedback", {"faqId": "FAQ-0001", "helpful": True}))
    assert response.status == 401
