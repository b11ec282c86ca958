"""`dx-bot`: serve the DX community bot."""

from __future__ import annotations

import argparse
import logging
from typing import Sequence

from aiohttp import web

from config.runtime import EXIT_OK, configure_logging, settings_or_exit
from bot.app import create_app

logger = logging.getLogger(__name__)

EPILOG = """\
exit codes:
  0  stopped normally
  2  bad arguments or settings (one line names the setting)

settings come from DX_* environment variables or .env; see README.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dx-bot",
        description="DXコミュニティのボット / the DX community bot for Microsoft Teams.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("serve", help="serve /api/messages and /healthz",
                       description="serve /api/messages and /healthz", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", help="bind address (default DX_BOT_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default DX_BOT_PORT, 3978)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dx-bot` console script."""
    args = build_parser().parse_args(argv)
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    if args.command == "serve":
        host = args.host or settings.bot_host
        port = args.port or settings.bot_port
        if not settings.bot_app_id:
            logger.warning(
                "LOCAL MODE: DX_BOT_APP_ID is not set, so requests are not authenticated. "
                "Never expose this server beyond this machine."
            )
        logger.info("serving on http://%s:%d (store: %s)", host, port, settings.store)
        web.run_app(create_app(settings), host=host, port=port, print=None)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
