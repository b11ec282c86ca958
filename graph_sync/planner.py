"""The pure sync planner: source records + target snapshot → the writes that make them equal.

No I/O, no clock, no await: table tests cover it, and a plan can be shown before it is applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

from tabular.normalize import without_leading_zeros

Missing = Literal["deactivate", "delete", "keep"]


@dataclass(frozen=True, slots=True)
class Create:
    """A key the list does not have yet."""

    key: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    """Only the columns whose values differ; every needless write fires Power Automate."""

    key: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Deactivate:
    """A key gone from the source, marked inactive rather than deleted."""

    key: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Delete:
    """A key gone from the source, deleted (only with `missing = "delete"`)."""

    key: str


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """Every write a run will make to one list, and what it leaves alone."""

    list_name: str
    creates: tuple[Create, ...]
    updates: tuple[Update, ...]
    deactivations: tuple[Deactivate, ...]
    deletes: tuple[Delete, ...]
    unchanged: int
    target_size: int

    @property
    def writes(self) -> int:
        """How many items the plan writes."""
        return len(self.creates) + len(self.updates) + len(self.deactivations) + len(self.deletes)

    @property
    def removals(self) -> int:
        """Items the plan deactivates or deletes."""
        return len(self.deactivations) + len(self.deletes)

    def removal_share(self) -> float:
        """Share of the list this plan would deactivate or delete."""
        return self.removals / self.target_size if self.target_size else 0.0

    def column_shares(self) -> dict[str, tuple[float, float]]:
        """Per column, the share of the list whose value this plan changes, and the share it
        empties (a value that was there becomes null): the signature of a broken export."""
        if not self.target_size:
            return {}
        changed: dict[str, int] = {}
        blanked: dict[str, int] = {}
        for update in self.updates:
            for column, value in update.fields.items():
                changed[column] = changed.get(column, 0) + 1
                if value is None or value == "":
                    blanked[column] = blanked.get(column, 0) + 1
        return {c: (n / self.target_size, blanked.get(c, 0) / self.target_size)
                for c, n in changed.items()}


def lost_zeros(source: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, str]:
    """New source keys that equal a target key the source no longer has, but for the leading
    zeros of a number in it (`12345` for `012345`): what a spreadsheet makes of a staff number.
    Maps each such new key to the existing one."""
    gone = {without_leading_zeros(k): k for k in target.keys() - source.keys()}
    if not gone:
        return {}
    return {key: gone[bare] for key in source.keys() - target.keys()
            if (bare := without_leading_zeros(key)) in gone}


def _same(have: Any, want: Any) -> bool:
    """Equal as list values: 4 == 4.0 (Graph may return either), but True is not 1."""
    if isinstance(have, bool) or isinstance(want, bool):
        return type(have) is type(want) and have == want
    return have == want


def plan(
    list_name: str,
    source: Mapping[str, Mapping[str, Any]],
    target: Mapping[str, Mapping[str, Any]],
    *,
    owned: frozenset[str],
    missing: Missing = "keep",
    deactivate: Mapping[str, Any] | None = None,
    held: frozenset[str] | set[str] = frozenset(),
    hold_all: bool = False,
    unknown: frozenset[str] = frozenset(),
) -> SyncPlan:
    """The writes that make `target` agree with `source` on the `owned` columns.

    Both sides hold canonical list values; an absent column equals null, as SharePoint omits
    empty fields from responses. Columns outside `owned` (the DX division's) are neither
    compared nor written. Keys only in the target follow `missing`, except `held` keys (rows
    the source has but could not read), which stay exactly as they are, as does every key
    when `hold_all`. `unknown` columns (the source does not carry them) are written when an
    item is created and never compared or overwritten.
    """
    creates: list[Create] = []
    updates: list[Update] = []
    unchanged = 0
    for key, fields in source.items():
        # Most sources carry only owned columns: reuse their dict rather than copy 40,000 of them.
        wanted = fields if owned.issuperset(fields) else {c: v for c, v in fields.items() if c in owned}
        have = target.get(key)
        if have is None:
            creates.append(Create(key, wanted))
            continue
        diff = {c: v for c, v in wanted.items() if c not in unknown and not _same(have.get(c), v)}
        if diff:
            updates.append(Update(key, diff))
        else:
            unchanged += 1
    deactivations: list[Deactivate] = []
    deletes: list[Delete] = []
    for key in target.keys() - source.keys():
        if hold_all or key in held:
            unchanged += 1
        elif missing == "delete":
            deletes.append(Delete(key))
        elif missing == "deactivate":
            patch = {c: v for c, v in (deactivate or {}).items() if not _same(target[key].get(c), v)}
            if patch:
                deactivations.append(Deactivate(key, patch))
            else:
                unchanged += 1
        else:
            unchanged += 1
    deactivations.sort(key=lambda d: d.key)
    deletes.sort(key=lambda d: d.key)
    return SyncPlan(list_name, tuple(creates), tuple(updates), tuple(deactivations),
                    tuple(deletes), unchanged, len(target))
