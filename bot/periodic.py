"""Background work done in rounds (list watches, sweeps): a round that fails is logged and the
next one comes on time; only `stop` ends the loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from liststore import StoreError

logger = logging.getLogger(__name__)


async def every(interval: float, stop: asyncio.Event, round_: Callable[[], Awaitable[Any]], what: str) -> None:
    """Run `round_` now and every `interval` seconds until `stop`; `what` names it in the log."""
    while not stop.is_set():
        try:
            await round_()
        except StoreError:
            logger.warning("%s: the lists cannot be read now; trying again later", what)
        except Exception:  # noqa: BLE001 - a failed round is tried again; the loop must go on
            logger.exception("%s failed", what)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except asyncio.TimeoutError:
            pass
