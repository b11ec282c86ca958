"""The leader roster from Entra ID groups: one group per tier, read with `groups/delta`.

https://learn.microsoft.com/graph/api/group-delta — `members@delta` lists added members by id
and removed ones with `@removed`; a token that can no longer be honoured answers 410, and the
membership is then read again from scratch. The whole membership (not just the last changes) is
kept in the sync state with its token, so every run plans from the complete picture.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping
from urllib.parse import parse_qs, quote, urlsplit

from config.schema import ListSpec
from graph_sync.mapping import ResourceMapping
from graph_sync.resources import Context, Extracted
from graph_sync.state import SyncState
from liststore.errors import StoreError
from liststore.sharepoint.transport import GraphTransport, SubRequest
from tabular import RowError, normalize

logger = logging.getLogger(__name__)

# A member of several tier groups holds the highest tier.
TIER_ORDER = ("DX推進リーダー", "DXアドバイザー", "デジタル行政推進リーダー")


class EntraGroupRoster:
    """Reads tier groups through Graph and turns members into roster records."""

    def __init__(self, transport: GraphTransport, state: SyncState) -> None:
        self.transport = transport
        self.state = state

    async def _delta(self, mapping: ResourceMapping, token: str | None) -> tuple[list[Mapping[str, Any]], str, bool]:
        ids = ",".join(f"'{gid}'" for gid in mapping.groups.values())
        first = "/groups/delta?$select=displayName,members&$filter=" + quote(f"id in ({ids})")
        url = f"{first}&$deltatoken={quote(token)}" if token else first
        full = token is None
        pages: list[Mapping[str, Any]] = []
        while True:
            try:
                _, _, body = await self.transport.call("GET", url, what=f"groups delta {mapping.name}")
            except StoreError as exc:
                if exc.status == 410 and not full:
                    logger.info("groups delta %s: token expired, reading membership again", mapping.name)
                    url, full, pages = first, True, []
                    continue
                raise
            pages.extend(body.get("value", []))
            if body.get("@odata.nextLink"):
                url = body["@odata.nextLink"]
                continue
            link = body.get("@odata.deltaLink", "")
            return pages, parse_qs(urlsplit(link).query).get("$deltatoken", [""])[0], full

    async def _staff_numbers(self, user_ids: list[str], ctx: Context) -> dict[str, str]:
        """employeeId (the staff number, in most city tenants), else the UPN matched to HR."""
        if not user_ids:
            return {}
        by_mail = {p.email: n for n, p in ctx.staff.items() if p.email}
        answers = await self.transport.batch([
            SubRequest(uid, "GET", f"/users/{uid}?$select=id,employeeId,userPrincipalName", cost=1)
            for uid in user_ids])
        out: dict[str, str] = {}
        for uid in user_ids:
            answer = answers.get(uid)
            body = answer.body if answer is not None and answer.status == 200 else {}
            number = ""
            if body.get("employeeId"):
                try:
                    number = normalize.staff_number(str(body["employeeId"]))
                except ValueError:
                    number = ""
            if not number and body.get("userPrincipalName"):
                number = by_mail.get(str(body["userPrincipalName"]).lower(), "")
            out[uid] = number
        return out

    async def extract(self, mapping: ResourceMapping, spec: ListSpec, ctx: Context) -> Extracted:
        """The roster as records keyed by staff number; unmatched members reported as errors."""
        cursor_name = f"entra:{mapping.name}"
        token = await self.state.cursor(cursor_name)
        members = await self.state.group_members(mapping.name)
        pages, new_token, full = await self._delta(mapping, token)
        if full:
            members = {}
        added: dict[str, list[str]] = {}
        for group in pages:
            gid = str(group["id"])
            current = members.setdefault(gid, {})
            for m in group.get("members@delta", []):
                uid = str(m["id"])
                if "@removed" in m:
                    current.pop(uid, None)
                elif uid not in current:
                    added.setdefault(gid, []).append(uid)
        numbers = await self._staff_numbers(sorted({u for us in added.values() for u in us}), ctx)
        for gid, uids in added.items():
            for uid in uids:
                members[gid][uid] = numbers.get(uid, "")
        await self.state.save_group_members(mapping.name, members, new_token)

        out = Extracted(mapping.name, mapping.list)
        tier_of_group = {gid: tier for tier, gid in mapping.groups.items()}
        best: dict[str, str] = {}
        for gid, users in members.items():
            tier = tier_of_group.get(gid)
            if tier is None:
                continue
            for uid, number in users.items():
                out.rows_read += 1
                if not number or number not in ctx.staff:
                    out.errors.append(RowError(f"Entra ID group {tier}", 0, "member",
                                               f"利用者 {uid} を職員データと照合できません / member "
                                               "not matched to a staff number (employeeId or UPN)"))
                    # A member whose staff row was skipped keeps their roster item as it is;
                    # one who cannot be told apart from such a person holds every removal.
                    if number:
                        out.held.add(number)
                    elif ctx.invalid_staff:
                        out.hold_all = True
                    continue
                if number not in best or TIER_ORDER.index(tier) < TIER_ORDER.index(best[number]):
                    best[number] = tier
        for number, tier in best.items():
            person = ctx.staff[number]
            fields = {"Title": person.name, "StaffNumber": number, "Tier": tier, "RosterStatus": "在籍",
                      "Bureau": person.bureau, "Section": person.section, "Email": person.email}
            out.records[number] = spec.coerce(fields, creating=True)
        return out
