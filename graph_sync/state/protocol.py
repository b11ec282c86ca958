"""What the sync keeps between runs: the interface every implementation passes the contract of."""


from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as `dx-sync status` shows it."""

    id: int
    job: str
    started_at: str
    finished_at: str | None
    status: str  # running | ok | failed | stopped | interrupted
    report: dict[str, Any] | None


class SyncState(Protocol):
    """What the sync keeps between runs."""

    async def cursor(self, list_name: str) -> str | None:
        """The change token the mirror of `list_name` is level with (None: never read)."""
        ...

    async def mirror(self, list_name: str) -> dict[str, Mapping[str, Any]]:
        """The sync-owned values of every item, as last seen."""
        ...

    async def mirror_values(self, list_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The mirrored values of just these keys (those the mirror has)."""
        ...

    async def apply_changes(self, list_name: str, changed: Mapping[str, Mapping[str, Any]],
                            deleted: Iterable[str], token: str, *, full: bool) -> None:
        """Fold a change feed into the mirror and move the cursor, together; `full` replaces
        the whole mirror of the list."""
        ...

    async def record_writes(self, list_name: str, written: Mapping[str, Mapping[str, Any]],
                            removed: Iterable[str]) -> None:
        """Writes the store confirmed: merged into the mirror (the cursor stays put)."""
        ...

    async def group_members(self, resource: str) -> dict[str, dict[str, str]]:
        """group id -> {user id -> staff number ("" when unknown)} as last read."""
        ...

    async def save_group_members(self, resource: str, members: Mapping[str, Mapping[str, str]],
                                 token: str) -> None:
        """Replace the membership of `resource` and its delta cursor (`entra:<resource>`), together."""
        ...

    async def start_run(self, job: str) -> tuple[int, list[RunRecord]]:
        """Record a new run; also return earlier runs that never finished (killed or crashed),
        which are marked interrupted."""
        ...

    async def finish_run(self, run_id: int, status: str, report: Mapping[str, Any]) -> None:
        """Record how a running run ended; a run another one has marked interrupted (its lock
        was lost, and the next run took over) stays interrupted."""
        ...

    async def runs(self, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        ...

    async def close(self) -> None:
        ...

