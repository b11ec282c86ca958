"""The sync state in memory: the twin of the SQLite file, for tests and the demo.

Values are copied in and out as a serialising store would, so a caller that keeps and changes
a dict it passed in (or got back) never changes the state behind the interface's back.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Iterable, Mapping

from config.clock import Clock, iso_seconds, utc_now
from graph_sync.state.protocol import RunRecord


def _copied(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(json.loads(json.dumps(value, ensure_ascii=False)))


class MemorySyncState:
    """Everything in dictionaries; `clock` stamps cursors and runs."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._mirrors: dict[str, dict[str, dict[str, Any]]] = {}
        self._cursors: dict[str, tuple[str, str]] = {}
        self._groups: dict[str, dict[str, dict[str, str]]] = {}
        self._runs: list[RunRecord] = []

    async def cursor(self, list_name: str) -> str | None:
        saved = self._cursors.get(list_name)
        return saved[0] if saved else None

    async def mirror(self, list_name: str) -> dict[str, Mapping[str, Any]]:
        return {k: copy.deepcopy(v) for k, v in self._mirrors.get(list_name, {}).items()}

    async def mirror_values(self, list_name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        mirror = self._mirrors.get(list_name, {})
        return {k: copy.deepcopy(mirror[k]) for k in keys if k in mirror}

    async def apply_changes(self, list_name: str, changed: Mapping[str, Mapping[str, Any]],
                            deleted: Iterable[str], token: str, *, full: bool) -> None:
        fresh = {k: _copied(v) for k, v in changed.items()}
        gone = list(deleted)
        mirror = {} if full else dict(self._mirrors.get(list_name, {}))
        mirror.update(fresh)
        for key in gone:
            mirror.pop(key, None)
        self._mirrors[list_name] = mirror
        self._cursors[list_name] = (token, iso_seconds(self._clock()))

    async def record_writes(self, list_name: str, written: Mapping[str, Mapping[str, Any]],
                            removed: Iterable[str]) -> None:
        fresh = {key: _copied(fields) for key, fields in written.items()}  # fails before any change
        mirror = self._mirrors.setdefault(list_name, {})
        for key, fields in fresh.items():
            mirror[key] = {**mirror.get(key, {}), **fields}
        for key in removed:
            mirror.pop(key, None)

    async def group_members(self, resource: str) -> dict[str, dict[str, str]]:
        return copy.deepcopy(self._groups.get(resource, {}))

    async def save_group_members(self, resource: str, members: Mapping[str, Mapping[str, str]],
                                 token: str) -> None:
        self._groups[resource] = {g: dict(users) for g, users in members.items() if users}
        self._cursors[f"entra:{resource}"] = (token, iso_seconds(self._clock()))

    async def start_run(self, job: str) -> tuple[int, list[RunRecord]]:
        unfinished = [r for r in reversed(self._runs[-50:]) if r.status == "running"]  # newest first
        self._runs = [RunRecord(r.id, r.job, r.started_at, r.finished_at, "interrupted", r.report)
                      if r in unfinished else r for r in self._runs]
        run_id = len(self._runs) + 1
        self._runs.append(RunRecord(run_id, job, iso_seconds(self._clock()), None, "running", None))
        return run_id, unfinished

    async def finish_run(self, run_id: int, status: str, report: Mapping[str, Any]) -> None:
        self._runs = [RunRecord(r.id, r.job, r.started_at, iso_seconds(self._clock()), status,
                                _copied(report)) if r.id == run_id and r.status == "running" else r
                      for r in self._runs]

    async def runs(self, limit: int = 10) -> list[RunRecord]:
        return list(reversed(self._runs))[:limit]

    async def close(self) -> None:
        """Nothing to release."""
