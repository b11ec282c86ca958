"""The leaders of a section and of a bureau, as the LeaderRoster list has them.

The sync keeps that list from the HR export and the Entra ID groups: デジタル行政推進リーダー
(one per section), DXアドバイザー and DX推進リーダー, each with their section, bureau and
e-mail. Only leaders still serving (状態 在籍) are named. Section names repeat across bureaus
(総務課), so a section is always read together with its bureau.
"""

from __future__ import annotations

from dataclasses import dataclass

from liststore import Item, ListStore

ROSTER_LIST = "LeaderRoster"
SERVING = "在籍"
TIERS = ("DX推進リーダー", "DXアドバイザー", "デジタル行政推進リーダー")  # top of the ladder first


@dataclass(frozen=True, slots=True)
class RosterLeader:
    staff_number: str
    name: str
    tier: str
    section: str
    bureau: str
    email: str
    expertise: str = ""


def _leader(item: Item) -> RosterLeader:
    f = item.fields
    return RosterLeader(item.key, str(f.get("Title") or ""), str(f.get("Tier") or ""), str(f.get("Section") or ""),
                        str(f.get("Bureau") or ""), str(f.get("Email") or ""), str(f.get("Expertise") or ""))


def _ordered(items: list[Item]) -> list[RosterLeader]:
    leaders = [_leader(i) for i in items if i.fields.get("RosterStatus") == SERVING]
    return sorted(leaders, key=lambda r: (TIERS.index(r.tier) if r.tier in TIERS else len(TIERS), r.staff_number))


async def section_leaders(store: ListStore, section: str, bureau: str | None) -> list[RosterLeader]:
    """The serving leaders of `section` in `bureau` (a row without a bureau is nobody's: the
    same section name may be another bureau's)."""
    found = await store.query(ROSTER_LIST, "Section", section)
    return _ordered([i for i in found if bureau and i.fields.get("Bureau") == bureau])


async def still_serves(store: ListStore, staff_number: str, section: str, bureau: str) -> bool:
    """Is this person still a serving leader of that section?"""
    item = await store.get(ROSTER_LIST, staff_number)
    return item is not None and item.fields.get("RosterStatus") == SERVING and \
        item.fields.get("Section") == section and item.fields.get("Bureau") == bureau


async def bureau_leaders(store: ListStore, bureau: str) -> list[RosterLeader]:
    """The serving leaders anywhere in `bureau`."""
    return _ordered(await store.query(ROSTER_LIST, "Bureau", bureau))
