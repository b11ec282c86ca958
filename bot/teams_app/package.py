"""`dx-bot teams-app build`: the zip Teams admin center (or sideloading) takes.

The manifest is on schema v1.24
(https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema), in
Japanese, with its English strings in en-us.json (localizationInfo). The bot is offered in
personal chats, teams and group chats with the command lists of bot/teams_app/commands.py.
Ids, the developer's pages and the valid domains come from the settings.

Teams accepts an update of an installed app only with a higher version: each build takes the
next patch number of the product's major.minor, remembered in DX_DATA_DIR/teams-app.json, or
the version given (which must be higher than the last one built).
"""

from __future__ import annotations

import fcntl
import json
import re
import zipfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from bot.teams_app.commands import COMMANDS, EVERYWHERE, PERSONAL
from bot.teams_app.icons import ACCENT, color_icon, outline_icon
from config.settings import Settings

MANIFEST_VERSION = "1.24"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = (f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
                       "MicrosoftTeams.Localization.schema.json")
VERSIONS = "teams-app.json"  # in DX_DATA_DIR: the last version built
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Fixed so that the same manifest makes the same zip, byte for byte.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)

NAME, NAME_EN = "DX相談", "DX help"
SHORT = "Teams・Power Platform・研修・業務改善提案のことを聞けるボットです。"
SHORT_EN = "Ask about Teams, the Power Platform, training and improvement proposals."
FULL = ("DXコミュニティのボットです。Teams・SharePoint・Power Apps・Power Automate・Power BI の使い方や、研修・"
        "業務改善提案のことを普段の言葉で聞けます。FAQ に答えがないときは{division}の担当者に質問を届け、回答をこの"
        "チャットにお知らせします。業務改善提案の提出と審査状況の確認、自分の研修の受講状況、所属のリーダー（相談先）"
        "も確認できます。")
FULL_EN = ("The DX community's bot. Ask in your own words about Teams, SharePoint, Power Apps, Power Automate, "
           "Power BI, training and improvement proposals. When the FAQ has no answer, your question goes to a "
           "person at {division} and the answer comes back to this chat. You can also submit improvement "
           "proposals and follow their review, see your own training record, and find your section's leaders.")


class PackageError(ValueError):
    """The package cannot be built with these settings (the message names the setting)."""


@dataclass(frozen=True, slots=True)
class Built:
    path: Path
    version: str
    manifest: dict[str, Any]


def _parsed(version: str) -> tuple[int, int, int]:
    found = SEMVER.match(version)
    if not found:
        raise PackageError(f"--version {version!r}: MAJOR.MINOR.PATCH の形で指定してください / use MAJOR.MINOR.PATCH")
    major, minor, patch = (int(p) for p in found.groups())
    return major, minor, patch


def next_version(data_dir: Path, asked: str | None = None) -> str:
    """The version of this build: `asked`, or the next patch after the last one built."""
    last_file = data_dir / VERSIONS
    try:
        last = json.loads(last_file.read_text("utf-8")).get("version") if last_file.is_file() else None
        if last is not None:
            _parsed(str(last))
    except (ValueError, AttributeError, PackageError) as exc:
        raise PackageError(f"{last_file} が読めません（前回の版を記録したファイル）。正しい版を --version で指定して"
                           f"ください / cannot read the last version built: {exc}") from None
    if asked is not None:
        if last and _parsed(asked) <= _parsed(last):
            raise PackageError(f"--version {asked} は前回の {last} より大きくしてください（Teams は上がった版しか"
                               f"更新として受け付けません） / must be higher than {last}")
        return ".".join(map(str, _parsed(asked)))
    try:
        major, minor = (int(p) for p in installed_version("dx-community").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        major, minor = 0, 1
    if last and _parsed(last)[:2] >= (major, minor):
        lm, ln, lp = _parsed(last)
        return f"{lm}.{ln}.{lp + 1}"
    return f"{major}.{minor}.0"


def _commands(scopes: tuple[str, ...], english: bool) -> list[dict[str, str]]:
    return [{"title": c.title_en if english else c.title, "description": c.description_en if english else c.description}
            for c in COMMANDS if set(scopes) <= set(c.scopes)]


def manifest(settings: Settings, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and its English strings."""
    bot_id = settings.bot_app_id
    if not bot_id or not GUID.match(bot_id):
        raise PackageError("DX_BOT_APP_ID に Azure Bot の Microsoft App ID（GUID）を設定してください / "
                           "set DX_BOT_APP_ID to the Azure Bot's app id (a GUID)")
    app_id = settings.teams_app_id or bot_id
    if not GUID.match(app_id):
        raise PackageError("DX_TEAMS_APP_ID は GUID で指定してください / must be a GUID")
    website = settings.teams_app_website_url
    if not website:
        raise PackageError("DX_TEAMS_APP_WEBSITE_URL に https の案内ページを設定してください（アプリの詳細に"
                           "表示されます） / set DX_TEAMS_APP_WEBSITE_URL to an https page about the app")
    division = settings.division_name
    shared = tuple(s for s in EVERYWHERE if s != "personal")
    scoped = (PERSONAL, shared)  # one command list per scope, as Teams asks
    lists = [{"scopes": list(scopes), "commands": _commands(scopes, False)} for scopes in scoped]
    app = {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id.lower(),
        "developer": {"name": (settings.teams_app_developer or division)[:32], "websiteUrl": website,
                      "privacyUrl": settings.teams_app_privacy_url or website,
                      "termsOfUseUrl": settings.teams_app_terms_url or website},
        "name": {"short": NAME, "full": f"{NAME}（{division}）"},
        "description": {"short": SHORT, "full": FULL.format(division=division)},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{"botId": bot_id.lower(), "scopes": list(EVERYWHERE), "isNotificationOnly": False,
                  "supportsFiles": False, "supportsCalling": False, "supportsVideo": False, "commandLists": lists}],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": list(dict.fromkeys(d.lower() for d in settings.teams_app_valid_domains)),
        "localizationInfo": {"defaultLanguageTag": "ja-jp",
                             "additionalLanguages": [{"languageTag": "en-us", "file": "en-us.json"}]},
    }
    english: dict[str, Any] = {
        "$schema": LOCALIZATION_SCHEMA,
        "name.short": NAME_EN, "name.full": f"{NAME_EN} ({settings.division_name_en})",
        "description.short": SHORT_EN, "description.full": FULL_EN.format(division=settings.division_name_en),
    }
    for n, scopes in enumerate(scoped):
        for m, command in enumerate(_commands(scopes, True)):
            english[f"bots[0].commandLists[{n}].commands[{m}].title"] = command["title"]
            english[f"bots[0].commandLists[{n}].commands[{m}].description"] = command["description"]
    return app, english


def build(settings: Settings, out: Path | None = None, version: str | None = None) -> Built:
    """Write the package (default: ./teams-app-VERSION.zip) and remember its version. Builds
    at the same time take turns, so each gets a version of its own."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "teams-app.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(settings, out, version)


def _build(settings: Settings, out: Path | None, version: str | None) -> Built:
    chosen = next_version(settings.data_dir, version)
    app, english = manifest(settings, chosen)
    path = out or Path(f"teams-app-{chosen}.zip")
    files = {"manifest.json": json.dumps(app, ensure_ascii=False, indent=2).encode(),
             "en-us.json": json.dumps(english, ensure_ascii=False, indent=2).encode(),
             "color.png": color_icon(192), "outline.png": outline_icon(32)}
    partial = path.with_name(path.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    partial.replace(path)
    (settings.data_dir / VERSIONS).write_text(json.dumps({"version": chosen}), "utf-8")
    return Built(path, chosen, app)
