"""Who looked at whose training record, and when: the AccessLog list.

A DX division member may look up anyone's record (「受講状況 職員番号」). The lookup is written
to the list before anything is shown, in the turn itself: a record that cannot be logged (the
list down, or not provisioned) is not shown at all.
"""

from __future__ import annotations

import secrets

from bot.ownership import writes
from config.clock import Clock, iso_seconds, utc_now
from config.schema import Owner
from liststore import ListStore, Upsert

ACCESS_LOG = "AccessLog"


class NotLogged(Exception):
    """The lookup could not be written to the AccessLog list."""


class AccessLog:
    def __init__(self, store: ListStore, clock: Clock = utc_now) -> None:
        self._store, self._clock = store, clock

    async def looked_up(self, viewer_id: str, viewer_name: str, staff_number: str, found: bool) -> str:
        """Write one lookup to the list; its number. `NotLogged` when the list did not take it."""
        now = self._clock()
        log_id = f"A-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
        fields = {"Title": f"受講状況の閲覧 {staff_number}", "ViewerId": viewer_id, "ViewerName": viewer_name,
                  "SubjectStaffNumber": staff_number, "Found": found, "ViewedAt": iso_seconds(now)}
        writes(ACCESS_LOG, fields, Owner.BOT)
        try:
            [result] = await self._store.upsert(ACCESS_LOG, [Upsert(log_id, fields)])
        except Exception as exc:  # noqa: BLE001 - any failure means the lookup is not logged
            raise NotLogged(str(exc)) from exc
        if not result.ok:
            raise NotLogged(f"{result.outcome}: {result.error}")
        return log_id
