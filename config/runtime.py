"""What both command-line entry points share: settings or a one-line exit, and logging."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

from config.settings import Settings, SettingsError, load_settings

# Exit codes, documented in README and in each command's --help.
EXIT_OK = 0
EXIT_FAILED = 1  # some rows or items failed, or a source file could not be read
EXIT_USAGE = 2  # bad arguments or settings
EXIT_STOPPED = 3  # the safety stop refused to remove too much of a list
EXIT_BUSY = 4  # another sync run holds the run lock (or this run lost it)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `message` (one line per problem) to stderr and exit."""
    for line in message.splitlines():
        print(f"エラー / error: {line}", file=sys.stderr)
    raise SystemExit(code)


def settings_or_exit() -> Settings:
    """Settings from the environment, or exit 2 with one readable line per bad setting."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)


def configure_logging(level: str) -> None:
    """Plain, greppable lines on stderr. Never log message text or personal data at INFO."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # The SDKs are chatty at INFO (every HTTP request); their warnings still show.
    for noisy in ("azure", "httpx", "msal", "botbuilder", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # A failed token request is reported by our own error line (tenant, client id, what to
    # check); azure-identity's warning would say it twice, with the raw response body.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
