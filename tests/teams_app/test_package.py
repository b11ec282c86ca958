"""`dx-bot teams-app build` as an admin runs it: the zip validates offline against the schemas
Microsoft's @microsoft/app-manifest package bundles, its icons are what Teams asks for, its
version only goes up, and its bot id, scopes and commands are what the running bot serves."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.bot import activities as a
from tests.bot.conftest import running_bot, wait_for_replies
from tests.fakes.bot_connector import APP_ID, APP_PASSWORD, RunningConnector

CHECK = Path(__file__).parent / "js" / "check.cjs"
WEBSITE = "https://www.city.example.jp/dx/"


def build(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"DX_DATA_DIR": str(data_dir / "var"), "DX_BOT_APP_ID": APP_ID, "DX_BOT_APP_PASSWORD": APP_PASSWORD,
                "DX_TEAMS_APP_WEBSITE_URL": WEBSITE, "DX_TEAMS_APP_VALID_DOMAINS": "www.city.example.jp", **env}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DX_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", "teams-app", "build", *args], cwd=data_dir,
                          capture_output=True, text=True, timeout=120,
                          env={**clean, **{k: v for k, v in settings.items() if v}})


def unpacked(path: Path, into: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
        return {name: archive.read(name) for name in archive.namelist()}


def schema_errors(*files: Path) -> dict[str, list[str]]:
    node = shutil.which("node")
    assert node, "node is needed for the manifest check (make install-test)"
    done = subprocess.run([node, str(CHECK), *map(str, files)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {Path(k).name: v for k, v in json.loads(done.stdout).items()}


def pixels(png: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGBA pixels of an 8-bit RGBA PNG without filters (what the builder writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color = struct.unpack(">IIBB", png[16:26])
    assert (depth, color) == (8, 6)  # 8-bit RGBA: the outline needs its alpha
    chunks, at = b"", 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind == b"IDAT":
            chunks += png[at + 8:at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(chunks)
    stride = width * 4 + 1
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, [tuple(raw[y * stride + 1 + x * 4:y * stride + 5 + x * 4])
                           for y in range(height) for x in range(width)]


def test_the_package_validates_offline_and_its_icons_are_what_teams_asks_for(tmp_path: Path) -> None:
    done = build(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Teams アプリのパッケージ 0.1.0 を書きました")
    files = unpacked(tmp_path / "teams-app-0.1.0.zip", tmp_path / "app")
    assert sorted(files) == ["color.png", "en-us.json", "manifest.json", "outline.png"]
    assert schema_errors(tmp_path / "app" / "manifest.json", tmp_path / "app" / "en-us.json") == {
        "manifest.json": [], "en-us.json": []}
    manifest = json.loads(files["manifest.json"])
    assert manifest["$schema"].endswith("/teams/v1.24/MicrosoftTeams.schema.json")
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (APP_ID, APP_ID)
    assert manifest["validDomains"] == ["www.city.example.jp"]
    assert manifest["developer"]["privacyUrl"] == WEBSITE and manifest["name"]["short"] == "DX相談"

    width, height, color = pixels(files["color.png"])
    assert (width, height) == (192, 192) and all(p[3] == 255 for p in color)  # a full-color square
    width, height, outline = pixels(files["outline.png"])
    assert (width, height) == (32, 32)
    assert all(p[:3] == (255, 255, 255) for p in outline)  # white, and only white
    opaque = sum(p[3] == 255 for p in outline)
    assert sum(p[3] == 0 for p in outline) > 512 and 60 < opaque < 512  # on a transparent background


def test_each_build_takes_a_higher_version_and_a_lower_one_is_refused(tmp_path: Path) -> None:
    first, second = build(tmp_path), build(tmp_path)
    assert (first.returncode, second.returncode) == (0, 0)
    assert "0.1.1" in second.stdout
    lower = build(tmp_path, "--version", "0.1.1")
    assert lower.returncode == 2 and "前回の 0.1.1 より大きくしてください" in lower.stderr
    chosen = build(tmp_path, "--version", "1.0.0", "--out", str(tmp_path / "city.zip"))
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(unpacked(tmp_path / "city.zip", tmp_path / "c")["manifest.json"])["version"] == "1.0.0"
    assert "1.0.1" in build(tmp_path).stdout
    garbled = build(tmp_path, "--version", "2.x")
    assert garbled.returncode == 2 and "MAJOR.MINOR.PATCH" in garbled.stderr


@pytest.mark.parametrize(("unset", "named"), [("DX_BOT_APP_ID", "DX_BOT_APP_ID"),
                                              ("DX_TEAMS_APP_WEBSITE_URL", "DX_TEAMS_APP_WEBSITE_URL")])
def test_a_missing_setting_is_named_and_nothing_is_written(tmp_path: Path, unset: str, named: str) -> None:
    done = build(tmp_path, **{unset: "", **({"DX_BOT_APP_PASSWORD": ""} if unset == "DX_BOT_APP_ID" else {})})
    assert done.returncode == 2 and named in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.zip"))


def _is_the_faq(reply: dict[str, Any]) -> bool:
    """An answer, a "did you mean" or a no-answer card: what a message no command took gets."""
    verbs = {act.get("verb") for att in reply.get("attachments") or [] for act in att["content"].get("actions", [])}
    return bool(verbs & {"faq.feedback", "faq.choose", "faq.none", "question.escalate"})


async def test_every_command_the_package_offers_is_served_by_the_bot_in_its_scopes(
        tmp_path: Path, connector: RunningConnector) -> None:
    done = build(tmp_path)
    assert done.returncode == 0, done.stderr
    files = unpacked(tmp_path / "teams-app-0.1.0.zip", tmp_path / "app")
    manifest, english = json.loads(files["manifest.json"]), json.loads(files["en-us.json"])
    [bot_entry] = manifest["bots"]
    assert sorted(bot_entry["scopes"]) == ["groupChat", "personal", "team"]
    offered: list[tuple[str, str, str]] = []  # (scope, title, locale)
    for n, command_list in enumerate(bot_entry["commandLists"]):
        for m, command in enumerate(command_list["commands"]):
            for scope in command_list["scopes"]:
                offered.append((scope, command["title"], "ja-JP"))
                offered.append((scope, english[f"bots[0].commandLists[{n}].commands[{m}].title"], "en-US"))
    titles = {t for _, t, _ in offered}
    assert {"ヘルプ", "質問", "提案", "提案の状況", "受講状況", "リーダー", "help", "propose"} <= titles
    refusals = ("個人チャット", "personal chat")
    async with running_bot(tmp_path, connector, auth=True) as bot:
        token = connector.fake.token(connector.service_url)
        for scope, title, locale in offered:
            if scope == "personal":
                activity = a.personal_message(connector.service_url, title, locale=locale)
            else:  # a team's channel (a group chat reads the same way: the bot is mentioned)
                activity = a.channel_message(connector.service_url, title)
                activity["locale"] = locale
            before = len(connector.fake.replies)
            response = await bot.post(activity, token=token)
            assert response.status in (200, 201), (scope, title)
            [reply] = (await wait_for_replies(bot, before + 1))[before:before + 1]
            assert not _is_the_faq(reply), f"{title!r} in {scope} fell through to the FAQ"
            assert not any(r in (reply.get("text") or "") for r in refusals), f"{title!r} is refused in {scope}"
    assert bot_entry["botId"] == bot.settings.bot_app_id  # the id the endpoint authenticates as


def test_builds_at_the_same_time_each_get_a_version_of_their_own(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda n: build(tmp_path, "--out", str(tmp_path / f"app-{n}.zip")), range(3)))
    assert [r.returncode for r in runs] == [0, 0, 0]
    versions = sorted(json.loads(unpacked(tmp_path / f"app-{n}.zip", tmp_path / f"u{n}")["manifest.json"])["version"]
                      for n in range(3))
    assert versions == ["0.1.0", "0.1.1", "0.1.2"]
