"""One sync run: read → validate → plan → apply, for every resource in `config/sync.toml`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from config.schema import ListSpec, Owner
from graph_sync.executor import ListReport, apply
from graph_sync.mapping import ResourceMapping, SyncConfig
from graph_sync.planner import SyncPlan, plan
from graph_sync.resources import Context, Extracted, RowError, extract, staff_index
from graph_sync.sources.tabular import SourceFileError, read_table
from liststore import ListStore

logger = logging.getLogger(__name__)

# Staff first: the other resources look people up in it.
ORDER = ("staff", "courses", "completions", "leaders")


@dataclass(slots=True)
class ResourcePlan:
    """A resource's plan, with what extraction found along the way."""

    mapping: ResourceMapping
    plan: SyncPlan | None
    extracted: Extracted | None
    error: str | None = None  # the file could not be read at all
    stopped: str | None = None  # the safety stop fired


@dataclass(slots=True)
class RunReport:
    """What a run did, per list, and everything that needs a person's attention."""

    lists: dict[str, ListReport] = field(default_factory=dict)
    row_errors: list[RowError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        """Counts over every list; `failed` includes rows skipped by validation."""
        keys = ("created", "updated", "deactivated", "deleted", "unchanged", "failed")
        out = {k: sum(getattr(r, k) for r in self.lists.values()) for k in keys}
        out["failed"] += len(self.row_errors)
        return out

    @property
    def ok(self) -> bool:
        """True when every row landed and nothing was stopped or unreadable."""
        return not (self.totals()["failed"] or self.file_errors or self.stops)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form printed by `dx-sync run --json`."""
        return {
            "ok": self.ok,
            "totals": self.totals(),
            "lists": {name: r.as_dict() for name, r in self.lists.items()},
            "row_errors": [str(e) for e in self.row_errors[:50]],
            "row_error_count": len(self.row_errors),
            "file_errors": self.file_errors,
            "stops": self.stops,
            "seconds": round(self.seconds, 3),
        }


def _ordered(config: SyncConfig, only: str | None) -> list[ResourceMapping]:
    chosen = [config.resource(only)] if only else list(config.resources)
    return sorted(chosen, key=lambda r: ORDER.index(r.name) if r.name in ORDER else len(ORDER))


async def _snapshot(store: ListStore, list_name: str) -> dict[str, Mapping[str, Any]]:
    return {item.key: item.fields async for page in store.pages(list_name) for item in page}


async def prepare(
    store: ListStore,
    config: SyncConfig,
    specs: Mapping[str, ListSpec],
    sources_dir: Path,
    *,
    only: str | None = None,
    force: bool = False,
) -> list[ResourcePlan]:
    """Read every export, validate it and plan each list; nothing is written."""
    staff_mapping = config.resource("staff")
    try:
        staff_table = read_table(sources_dir / staff_mapping.file, staff_mapping.encoding)
        ctx = Context(staff_index(staff_table, staff_mapping), config.settings.first_cohort_fiscal_year)
    except SourceFileError as exc:
        ctx, staff_error = None, str(exc)
    plans: list[ResourcePlan] = []
    for mapping in _ordered(config, only):
        spec = specs[mapping.list]
        try:
            if ctx is None and mapping.name in {"staff", "completions", "leaders"}:
                raise SourceFileError(staff_error)
            table = read_table(sources_dir / mapping.file, mapping.encoding)
            extracted = extract(table, mapping, spec, ctx or Context({}, 0))
        except SourceFileError as exc:
            plans.append(ResourcePlan(mapping, None, None, error=str(exc)))
            continue
        owned = frozenset(c.name for c in spec.owned_by(Owner.SYNC))
        target = await _snapshot(store, mapping.list)
        the_plan = plan(
            mapping.list, extracted.records, target, owned=owned, missing=mapping.missing,
            deactivate=mapping.deactivate,
        )
        stopped = None
        share = the_plan.removal_share()
        if share > config.settings.max_removal_share and not force:
            stopped = (
                f"{mapping.list}: {the_plan.removals} 件（{share:.0%}）を削除・無効化しようとしたため"
                f"停止しました。エクスポートを確認し、正しければ --force で実行してください / "
                f"stopped: would remove {share:.0%} of the list "
                f"(limit {config.settings.max_removal_share:.0%}); check the export or use --force"
            )
        plans.append(ResourcePlan(mapping, the_plan, extracted, stopped=stopped))
    return plans


async def run_once(
    store: ListStore,
    config: SyncConfig,
    specs: Mapping[str, ListSpec],
    sources_dir: Path,
    *,
    only: str | None = None,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RunReport:
    """Plan and apply every resource; a list whose safety stop fires is left untouched."""
    started = clock()
    report = RunReport()
    for prepared in await prepare(store, config, specs, sources_dir, only=only, force=force):
        name = prepared.mapping.name
        if prepared.error:
            report.file_errors.append(prepared.error)
            logger.warning("sync %s: source unreadable", name)
            continue
        assert prepared.plan is not None and prepared.extracted is not None
        report.row_errors.extend(prepared.extracted.errors)
        if prepared.stopped:
            report.stops.append(prepared.stopped)
            logger.warning("sync %s: safety stop, %d removals planned", name, prepared.plan.removals)
            continue
        total = prepared.plan.writes
        done = 0

        def tick(n: int, _name: str = prepared.plan.list_name, _total: int = total) -> None:
            nonlocal done
            done += n
            if progress:
                progress(_name, done, _total)

        list_report = await apply(store, prepared.plan, progress=tick)
        report.lists[prepared.plan.list_name] = list_report
        logger.info(
            "sync %s: created=%d updated=%d deactivated=%d deleted=%d unchanged=%d failed=%d "
            "skipped_rows=%d", prepared.plan.list_name, list_report.created, list_report.updated,
            list_report.deactivated, list_report.deleted, list_report.unchanged, list_report.failed,
            len(prepared.extracted.errors),
        )
    report.seconds = clock() - started
    return report
