"""End to end through Microsoft 365 Agents Playground, a Teams emulator we did not write.

The real `dx-bot serve` process answers; the Playground (npm @microsoft/m365agentsplayground,
installed by `make test`) plays Teams: it builds the activities, hosts the Bot Connector the
replies go to, and streams what it saw on its log websocket, which is what we read.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest

from config.settings import load_settings
from tests.bot.conftest import provision

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / "playground" / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_http(url: str, seconds: float = 30) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds * 10)):
            try:
                async with http.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


class Playground:
    def __init__(self, base: str, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.base, self.http, self.ws = base, http, ws
        self.from_bot: list[dict[str, Any]] = []
        self.config: dict[str, Any] = {}

    async def pump(self) -> None:
        async for msg in self.ws:
            log = json.loads(msg.data).get("log") or {}
            # What the bot posted (replies); its GETs (a member lookup) carry no body.
            body = (log.get("request") or {}).get("body") if log.get("from") == "User Application" else None
            if isinstance(body, dict):
                self.from_bot.append({**body, "_messageId": log.get("messageId")})

    async def say(self, conversation_id: str, text: str, mentions: list[dict] | None = None) -> None:
        body: dict[str, Any] = {"from": {"id": "user-id-0"}, "text": text, "textFormat": "plain"}
        if mentions:
            body["mentions"] = mentions
        async with self.http.post(f"{self.base}/_conversation/v1/conversations/{conversation_id}/messages",
                                  json=body) as response:
            assert response.status == 200, await response.text()

    async def replies(self, count: int) -> list[dict[str, Any]]:
        for _ in range(200):
            if len(self.from_bot) >= count:
                return self.from_bot
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} replies, got {self.from_bot}")


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    if not PLAYGROUND.is_file() or shutil.which("node") is None:
        pytest.fail("Agents Playground is not installed: run `make test` (it runs npm ci --prefix playground)")
    data_dir = tmp_path / "var"
    await provision(load_settings(data_dir=data_dir))
    bot_port, pg_port = free_port(), free_port()
    env = {**os.environ, "DX_DATA_DIR": str(data_dir), "DX_BOT_PORT": str(bot_port), "DX_LOG_LEVEL": "WARNING"}
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=tmp_path)
    # No browser to open; its log goes to the test's folder, not devTools/ in the checkout.
    pg_env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none",
              "M365_AGENTS_PLAYGROUND_LOGFILE": str(tmp_path / "playground.log")}
    pg = subprocess.Popen(["node", str(PLAYGROUND), "-e", f"http://127.0.0.1:{bot_port}/api/messages",
                           "-c", "msteams", "-p", str(pg_port), "--dt",
                           "--service-url", f"http://127.0.0.1:{pg_port}/_connector"],
                          env=pg_env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        await wait_http(f"http://127.0.0.1:{bot_port}/healthz")
        base = f"http://127.0.0.1:{pg_port}"
        await wait_http(f"{base}/_internal/v1/config")
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{base}/_ws/log/stream") as ws:
            running = Playground(base, http, ws)
            async with http.get(f"{base}/_internal/v1/config") as response:
                running.config = (await response.json())["config"]
            pump = asyncio.create_task(running.pump())
            try:
                yield running
            finally:
                pump.cancel()
    finally:
        for process in (pg, bot):
            process.terminate()
            process.wait(timeout=10)


async def test_personal_chat_and_channel_mention_through_the_playground(playground: Playground) -> None:
    config = playground.config
    assert len(config["users"]) == 5 and config["bot"]["name"] == "DXコミュニティボット"  # our .yml was used
    await playground.say(config["personalChat"]["id"], "ﾁｰﾑｽﾞの会議って録画できますか")
    [reply] = await playground.replies(1)
    card = reply["attachments"][0]["content"]
    assert card["version"] == "1.5"
    assert any("録画" in block.get("text", "") for block in card["body"])
    # The Playground sends locale en-US, so the buttons are in English; the FAQ stays Japanese.
    assert [a["title"] for a in card["actions"] if a["type"] == "Action.Execute"] == ["Helpful", "Didn't solve it"]

    channel = config["teams"][0]["channels"][1]["id"]
    bot = config["bot"]
    at = f"<at>{bot['name']}</at>"
    await playground.say(channel, f"{at} パスワードを忘れてしまいました",
                         mentions=[{"mentioned": {"id": bot["id"], "name": bot["name"]}, "text": at}])
    replies = await playground.replies(2)
    answer = replies[1]["attachments"][0]["content"]
    assert replies[1]["conversation"]["id"].startswith(channel)
    assert any("パスワード" in block.get("text", "") for block in answer["body"])


async def test_a_card_button_pressed_in_the_playground(playground: Playground) -> None:
    config = playground.config
    chat = config["personalChat"]["id"]
    await playground.say(chat, "粗大ごみの出し方")
    [reply] = await playground.replies(1)
    escalate = reply["attachments"][0]["content"]["actions"][0]
    body = {"name": "adaptiveCard/action", "from": {"id": "user-id-0"}, "conversation": {"id": chat},
            "replyToId": reply["_messageId"],
            "value": {"action": {"type": "Action.Execute", "verb": escalate["verb"], "data": escalate["data"]}}}
    async with playground.http.post(f"{playground.base}/_conversation/v1/invoke", json=body) as response:
        assert response.status == 200, await response.text()
        confirm = (await response.json())["value"]
    send = next(a for a in confirm["actions"] if a["verb"] == "question.send")
    body["value"] = {"action": {"type": "Action.Execute", "verb": "question.send",
                                "data": {**send["data"], "question": "粗大ごみの出し方を知りたい"}}}
    async with playground.http.post(f"{playground.base}/_conversation/v1/invoke", json=body) as response:
        assert response.status == 200, await response.text()
        answer = await response.json()
    assert "Q-" in json.dumps(answer, ensure_ascii=False)


async def test_a_proposal_submitted_through_the_form_in_the_playground(playground: Playground) -> None:
    config = playground.config
    chat = config["personalChat"]["id"]
    await playground.say(chat, "propose")
    [reply] = await playground.replies(1)
    form = reply["attachments"][0]["content"]
    assert form["body"][0]["text"] == "Improvement proposal"  # the Playground's locale is en-US
    check = next(a for a in form["actions"] if a["verb"] == "proposal.check")
    typed = {"kind": "業務改善提案", "title": "窓口の番号札を電子化", "category": "窓口・市民サービス",
             "problem": "番号札を手で配り、呼び出しも肉声で行っている。", "idea": "発券機とモニターで呼び出す。",
             "hours": "200"}

    async def press(data: dict[str, Any]) -> dict[str, Any]:
        # Teams (and the Playground) send the card's inputs merged into the action's data.
        body = {"name": "adaptiveCard/action", "from": {"id": "user-id-0"}, "conversation": {"id": chat},
                "replyToId": reply["_messageId"],
                "value": {"action": {"type": "Action.Execute", "verb": data["verb"], "data": data}}}
        async with playground.http.post(f"{playground.base}/_conversation/v1/invoke", json=body) as response:
            assert response.status == 200, await response.text()
            return (await response.json())["value"]

    card = await press({**check["data"], **typed})
    if card["body"][0]["text"] == "Similar proposals exist":
        card = await press(next(a["data"] for a in card["actions"] if a["verb"] == "proposal.submit"))
    assert card["body"][0]["text"] == "Proposal received"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Title"] == "窓口の番号札を電子化" and facts["Proposal number"].endswith("-0001")
