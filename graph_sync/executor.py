"""Apply a SyncPlan through any ListStore and report what landed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from graph_sync.planner import SyncPlan
from liststore import ListStore, Outcome, Upsert, WriteResult

# Items per store call: large enough to fill Graph $batch requests, small enough that progress
# moves and one failure does not hold back much.
CHUNK = 200

Progress = Callable[[int], None]
# Called with what each chunk confirmed: {key: fields written} and [keys removed].
Landed = Callable[[dict[str, Mapping[str, Any]], list[str]], Awaitable[None]]


@dataclass(slots=True)
class ListReport:
    """What one list's run did."""

    list_name: str
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    requests: int = 0  # HTTP requests to the backend (Graph), reads and writes; 0 for local stores
    seconds: float = 0.0  # reading the feed, planning, writing and checkpointing this list
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-able counts (failures capped, the full list goes to the log)."""
        return {
            "created": self.created, "updated": self.updated, "deactivated": self.deactivated,
            "deleted": self.deleted, "unchanged": self.unchanged, "failed": self.failed,
            "requests": self.requests, "seconds": round(self.seconds, 3),
            "failures": self.failures[:20],
        }


def _tally(report: ListReport, results: list[WriteResult], counter: str) -> None:
    for r in results:
        if r.ok:
            if r.outcome is not Outcome.NOT_FOUND:
                setattr(report, counter, getattr(report, counter) + 1)
        else:
            report.failed += 1
            report.failures.append(f"{r.key}: {r.outcome}: {r.error}")


async def apply(
    store: ListStore, plan: SyncPlan, *, progress: Progress | None = None,
    landed: Landed | None = None,
) -> ListReport:
    """Write the plan: creates, updates, deactivations, then deletes.

    `landed` hears about each chunk's confirmed writes right after the store confirms them,
    so a checkpoint never runs ahead of what is really in the list.
    """
    report = ListReport(plan.list_name, unchanged=plan.unchanged)
    batches: list[tuple[str, list[Upsert]]] = [
        ("created", [Upsert(c.key, c.fields) for c in plan.creates]),
        ("updated", [Upsert(u.key, u.fields) for u in plan.updates]),
        ("deactivated", [Upsert(d.key, d.fields) for d in plan.deactivations]),
    ]
    for counter, rows in batches:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            results = await store.upsert(plan.list_name, chunk)
            _tally(report, results, counter)
            if landed:
                await landed({row.key: row.fields for row, r in zip(chunk, results) if r.ok}, [])
            if progress:
                progress(len(chunk))
    keys = [d.key for d in plan.deletes]
    for start in range(0, len(keys), CHUNK):
        doomed = keys[start : start + CHUNK]
        results = await store.delete(plan.list_name, doomed)
        _tally(report, results, "deleted")
        if landed:
            await landed({}, [r.key for r in results if r.ok])
        if progress:
            progress(len(doomed))
    return report
