"""Who looked at whose training record, and when: the AccessLog list.

A DX division member may look up anyone's record (「受講状況 職員番号」). Each such lookup is
recorded before the record is shown: the record is committed to the outbox in the same
transaction as nothing else, so a list that is down delays it and never loses it.
"""

from __future__ import annotations

import secrets
from typing import Any, Mapping

from bot.outbox import Handler
from bot.ownership import writes
from bot.state import BotState, Work
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import ListStore, Upsert

ACCESS_LOG = "AccessLog"
RECORD = "audit.record"


class AccessLog:
    def __init__(self, store: ListStore, state: BotState, clock: Clock = utc_now) -> None:
        self._store, self._state, self._clock = store, state, clock

    async def looked_up(self, viewer_id: str, viewer_name: str, staff_number: str, found: bool) -> str:
        """Record one lookup; returns its number."""
        now = self._clock()
        log_id = f"A-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
        fields = {"Title": f"受講状況の閲覧 {staff_number}", "ViewerId": viewer_id, "ViewerName": viewer_name,
                  "SubjectStaffNumber": staff_number, "Found": found, "ViewedAt": iso_seconds(now)}
        await self._state.commit(work=[Work(log_id, RECORD, {"log_id": log_id, "fields": fields})],
                                 now=now.timestamp())
        return log_id

    def handlers(self) -> dict[str, Handler]:
        async def record(_key: str, payload: Mapping[str, Any]) -> None:
            fields = dict(payload["fields"])
            writes(ACCESS_LOG, fields, Owner.BOT)
            [result] = await self._store.upsert(ACCESS_LOG, [Upsert(str(payload["log_id"]), fields)])
            if not result.ok:
                raise RuntimeError(f"recording a lookup: {result.outcome}: {result.error}")

        return {RECORD: record}
