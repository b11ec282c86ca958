"""One sync run: read → validate → plan → apply, for every resource in `config/sync.toml`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Mapping, Sequence

from config.schema import ListSpec, Owner
from graph_sync.executor import ListReport, apply
from graph_sync.mapping import ResourceMapping, SyncConfig, SyncSettings
from graph_sync.planner import SyncPlan, lost_zeros, plan
from graph_sync.resources import Context, Extracted, extract, staff_context
from graph_sync.state import SyncState
from tabular import RowError, SourceFileError, find_export, read_table

if TYPE_CHECKING:
    from graph_sync.sources.entra import EntraGroupRoster
from liststore import Item, ListStore

logger = logging.getLogger(__name__)

# Skipped rows a run's history keeps (`dx-sync status`); the count is always kept whole.
HISTORY_ROW_ERRORS = 50

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
    edited: int = 0  # items people changed in the list since the last run


@dataclass(slots=True)
class RunReport:
    """What a run did, per list, and everything that needs a person's attention."""

    lists: dict[str, ListReport] = field(default_factory=dict)
    row_errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a column the export lacks
    file_errors: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)
    edited: dict[str, int] = field(default_factory=dict)  # list -> items people changed
    resumed: list[int] = field(default_factory=list)  # ids of earlier runs that never finished
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        """Counts over every list; `failed` includes rows skipped by validation."""
        keys = ("created", "updated", "deactivated", "deleted", "unchanged", "failed", "requests")
        out = {k: sum(getattr(r, k) for r in self.lists.values()) for k in keys}
        out["failed"] += len(self.row_errors)
        return out

    @property
    def ok(self) -> bool:
        """True when every row landed and nothing was stopped or unreadable."""
        return not (self.totals()["failed"] or self.file_errors or self.stops)

    def as_dict(self, *, row_errors: int | None = None) -> dict[str, Any]:
        """The JSON form printed by `dx-sync run --json` (every skipped row), or with at most
        `row_errors` of them (what the run history keeps: the same rows recur every run)."""
        return {
            "ok": self.ok,
            "totals": self.totals(),
            "lists": {name: r.as_dict() for name, r in self.lists.items()},
            "row_errors": [str(e) for e in self.row_errors[:row_errors]],
            "row_error_count": len(self.row_errors),
            "warnings": self.warnings,
            "file_errors": self.file_errors,
            "stops": self.stops,
            "edited_in_list": self.edited,
            "resumed_runs": self.resumed,
            "seconds": round(self.seconds, 3),
        }


def _ordered(config: SyncConfig, only: Sequence[str] | None) -> list[ResourceMapping]:
    chosen = [config.resource(name) for name in only] if only else list(config.resources)
    return sorted(chosen, key=lambda r: ORDER.index(r.name) if r.name in ORDER else len(ORDER))


def _requests(store: ListStore) -> int:
    # Only the Graph-backed store talks HTTP; local stores have nothing to count.
    return int(getattr(store, "request_count", 0))


def _owned(item: Item, owned: frozenset[str]) -> Mapping[str, Any]:
    # Reuse the item's own dict when every column is owned (a copy per item adds up at 40,000).
    if owned.issuperset(item.fields):
        return item.fields
    return {c: v for c, v in item.fields.items() if c in owned}


async def refresh_mirror(
    store: ListStore, state: SyncState, list_name: str, owned: frozenset[str],
    *, mirror: dict[str, Mapping[str, Any]] | None = None,
) -> int:
    """Bring the mirror level with the list through its change feed; count people's edits.

    The previous run consumed its own writes' echoes, so whatever the feed returns now that
    differs from the mirror was changed by someone else (or by a run that was killed after
    writing and before recording, which is the same thing to the planner). When the caller
    holds the mirror in memory (`mirror`), it is updated in place; otherwise only the changed
    keys are looked up, so reading 40,000 echoes never holds the list twice.
    """
    cursor = await state.cursor(list_name)
    feed = await store.changes(list_name, cursor)
    changed = {item.key: _owned(item, owned) for item in feed.items}
    deleted, token, full = feed.deleted, feed.token, feed.full
    del feed  # the projection is all we keep
    previous = mirror if mirror is not None else await state.mirror_values(list_name, [*changed, *deleted])
    had_mirror = bool(previous) or cursor is not None
    edited = 0
    if had_mirror:
        edited = sum(1 for k, v in changed.items() if previous.get(k) != v)
        edited += sum(1 for k in deleted if k in previous)
    await state.apply_changes(list_name, changed, deleted, token, full=full)
    if mirror is not None:
        if full:
            mirror.clear()
        mirror.update(changed)
        for key in deleted:
            mirror.pop(key, None)
    return edited


async def prepare(
    store: ListStore,
    state: SyncState,
    config: SyncConfig,
    specs: Mapping[str, ListSpec],
    sources_dir: Path,
    *,
    only: Sequence[str] | None = None,
    force: bool = False,
    entra: EntraGroupRoster | None = None,
    count_edits: bool = True,
) -> AsyncIterator[ResourcePlan]:
    """Read every export, validate it and plan each list, one resource at a time (so a run holds
    only one list's data in memory); nothing is written.

    `count_edits=False` when an earlier run died: what the change feed shows then may be that
    run's own writes, which must not be reported as people's edits.
    """
    staff_mapping = config.resource("staff")
    staff_error = ""
    try:
        staff_table = read_table(find_export(sources_dir, staff_mapping.file), staff_mapping.encoding)
        ctx = staff_context(staff_table, staff_mapping, config.settings.first_cohort_fiscal_year)
    except SourceFileError as exc:
        ctx, staff_error = None, str(exc)
    for mapping in _ordered(config, only):
        spec = specs[mapping.list]
        try:
            if ctx is None and mapping.name == staff_mapping.name:
                raise SourceFileError(staff_error)
            if ctx is None and mapping.name != "courses":
                raise SourceFileError(
                    f"{mapping.name}: 職員データ（{staff_mapping.file}）が読めないため、今回は反映しません"
                    f" / not applied: the staff export could not be read")
            if mapping.source == "entra_groups":
                if entra is None:
                    raise SourceFileError(
                        f"{mapping.name}: Entra ID のグループは Graph で読みます。DX_TENANT_ID・DX_CLIENT_ID と"
                        f"資格情報を設定してください / Entra ID groups are read through Graph; set "
                        f"DX_TENANT_ID, DX_CLIENT_ID and a credential")
                extracted = await entra.extract(mapping, spec, ctx or Context({}, 0))
            else:
                table = read_table(find_export(sources_dir, mapping.file), mapping.encoding)
                extracted = extract(table, mapping, spec, ctx or Context({}, 0))
                del table  # the decoded export is not needed once its rows are records
        except SourceFileError as exc:
            yield ResourcePlan(mapping, None, None, error=str(exc))
            continue
        owned = frozenset(c.name for c in spec.owned_by(Owner.SYNC))
        target = await state.mirror(mapping.list)
        edited = await refresh_mirror(store, state, mapping.list, owned, mirror=target)
        hold_lost_zeros(extracted, target, spec, mapping)
        the_plan = plan(
            mapping.list, extracted.records, target, owned=owned, missing=mapping.missing,
            deactivate=mapping.deactivate, held=extracted.held, hold_all=extracted.hold_all,
            unknown=extracted.unknown_columns,
        )
        stopped = None if force else safety_stop(the_plan, spec, config.settings)
        del target  # planned; the mirror's copy on disk is what later steps use
        extracted.records.clear()  # the plan holds what is to be written; errors stay
        yield ResourcePlan(mapping, the_plan, extracted, stopped=stopped,
                           edited=edited if count_edits else 0)


_CHECK_EXPORT = "エクスポートを確認し、正しければ --force で実行してください"
# The column rules of the safety stop leave alone changes to fewer items than this: a list of
# thirty courses may have a column edited on half of them.
MIN_ITEMS_FOR_COLUMN_STOP = 20


def hold_lost_zeros(extracted: Extracted, target: Mapping[str, Any], spec: ListSpec,
                    mapping: ResourceMapping) -> None:
    """A key that is an existing one without its leading zeros is a spreadsheet's doing, not a
    new person: the row is reported and not applied, and the existing item stays as it is."""
    # Held rows too: a completion whose staff number lost its zero is held under the number as
    # typed (and already reported), and the item it was is the one with the zero.
    seen = dict.fromkeys(extracted.held) | extracted.records
    for new, old in sorted(lost_zeros(seen, target).items()):
        extracted.held.add(old)
        if new not in extracted.records:
            continue
        del extracted.records[new]
        extracted.errors.append(RowError(
            mapping.file or mapping.name, extracted.lines.get(new, 0), spec.column(spec.key).display,
            f"{new} は既存の {old} と先頭の 0 だけが違います。Excel で 0 が落ちた可能性があります。この行は"
            f"反映せず、{old} はそのまま残します / {new} is {old} without its leading zeros (as Excel "
            f"drops them); not applied, {old} left as it is"))


def safety_stop(the_plan: SyncPlan, spec: ListSpec, settings: SyncSettings) -> str | None:
    """Why this plan must not run without --force, or None: it removes too much of the list,
    empties a column on too much of it, or changes one column on most of it."""
    share = the_plan.removal_share()
    if share > settings.max_removal_share:
        return (f"{the_plan.list_name}: {the_plan.removals} 件（{share:.0%}）を削除・無効化しようとしたため"
                f"停止しました。{_CHECK_EXPORT} / stopped: would remove {share:.0%} of the list "
                f"(limit {settings.max_removal_share:.0%}); check the export or use --force")
    for column, (changed, blanked) in sorted(the_plan.column_shares().items()):
        if changed * the_plan.target_size < MIN_ITEMS_FOR_COLUMN_STOP:
            continue
        shown = spec.column(column).display if column in spec.column_names else column
        if blanked > settings.max_column_empty_share:
            return (f"{the_plan.list_name}: 「{shown}」を {blanked:.0%} の項目で空にしようとしたため停止しました。"
                    f"{_CHECK_EXPORT} / stopped: would empty {column} on {blanked:.0%} of the list "
                    f"(limit {settings.max_column_empty_share:.0%}); check the export or use --force")
        if changed > settings.max_column_change_share:
            return (f"{the_plan.list_name}: 「{shown}」を {changed:.0%} の項目で書き換えようとしたため停止しました。"
                    f"{_CHECK_EXPORT} / stopped: would change {column} on {changed:.0%} of the list "
                    f"(limit {settings.max_column_change_share:.0%}); check the export or use --force")
    return None


async def run_once(
    store: ListStore,
    state: SyncState,
    config: SyncConfig,
    specs: Mapping[str, ListSpec],
    sources_dir: Path,
    *,
    only: Sequence[str] | None = None,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    job: str | None = None,
    entra: EntraGroupRoster | None = None,
) -> RunReport:
    """Plan and apply every resource; a list whose safety stop fires is left untouched.

    The run is recorded in the state; an earlier run that never finished is reported, and its
    work is completed simply by planning again against the refreshed mirror.
    """
    started = clock()
    report = RunReport()
    run_id, unfinished = await state.start_run(job or (",".join(only) if only else "all"))
    report.resumed = [r.id for r in unfinished]
    try:
        await _run(store, state, config, specs, sources_dir, report, only, force, progress, entra,
                   count_edits=not unfinished)
    except BaseException:
        report.seconds = clock() - started
        await state.finish_run(run_id, "failed", report.as_dict(row_errors=HISTORY_ROW_ERRORS))
        raise
    report.seconds = clock() - started
    status = "stopped" if report.stops else "ok" if report.ok else "failed"
    await state.finish_run(run_id, status, report.as_dict(row_errors=HISTORY_ROW_ERRORS))
    return report


async def _run(
    store: ListStore, state: SyncState, config: SyncConfig, specs: Mapping[str, ListSpec],
    sources_dir: Path, report: RunReport, only: Sequence[str] | None, force: bool,
    progress: Callable[[str, int, int], None] | None, entra: EntraGroupRoster | None,
    *, count_edits: bool,
) -> None:
    requests_before = _requests(store)
    list_started = time.monotonic()
    async for prepared in prepare(store, state, config, specs, sources_dir, only=only,
                                  force=force, entra=entra, count_edits=count_edits):
        name = prepared.mapping.name
        if prepared.error:
            report.file_errors.append(prepared.error)
            logger.warning("sync %s: source unreadable", name)
            requests_before, list_started = _requests(store), time.monotonic()
            continue
        assert prepared.plan is not None and prepared.extracted is not None
        report.row_errors.extend(prepared.extracted.errors)
        report.warnings.extend(prepared.extracted.warnings)
        if prepared.edited:
            report.edited[prepared.plan.list_name] = prepared.edited
        if prepared.stopped:
            report.stops.append(prepared.stopped)
            logger.warning("sync %s: safety stop, %d removals planned", name, prepared.plan.removals)
            requests_before, list_started = _requests(store), time.monotonic()
            continue
        the_plan = prepared.plan
        total = the_plan.writes
        done = 0

        def tick(n: int, _name: str = the_plan.list_name, _total: int = total) -> None:
            nonlocal done
            done += n
            if progress:
                progress(_name, done, _total)

        list_name = prepared.plan.list_name

        async def landed(written: dict[str, Mapping[str, Any]], removed: list[str],
                         _list: str = list_name) -> None:
            await state.record_writes(_list, written, removed)

        list_report = await apply(store, prepared.plan, progress=tick, landed=landed)
        report.lists[list_name] = list_report
        wrote = prepared.plan.writes
        prepared.plan = None  # written; free it before reading the echoes back
        if wrote:
            # Checkpoint: read our own writes back through the feed and move the cursor past
            # them, so the next run sees only what others changed.
            owned = frozenset(c.name for c in specs[prepared.mapping.list].owned_by(Owner.SYNC))
            await refresh_mirror(store, state, list_name, owned)
        # Reading the feed, planning, writing and checkpointing this list.
        list_report.requests = _requests(store) - requests_before
        list_report.seconds = time.monotonic() - list_started
        requests_before, list_started = _requests(store), time.monotonic()
        logger.info(
            "sync %s: created=%d updated=%d deactivated=%d deleted=%d unchanged=%d failed=%d "
            "skipped_rows=%d", list_name, list_report.created, list_report.updated,
            list_report.deactivated, list_report.deleted, list_report.unchanged, list_report.failed,
            len(prepared.extracted.errors),
        )
