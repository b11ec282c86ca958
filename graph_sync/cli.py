"""`dx-sync`: generate the sample city, provision the lists, plan and run the sync."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

from config.runtime import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    configure_logging,
    fail,
    settings_or_exit,
)
from config.settings import Settings, SettingsError
from graph_sync.engine import RunReport
from graph_sync.lock import Busy, LockLost
from graph_sync.mapping import SyncConfig, load_sync_config
from graph_sync.sample.generate import (
    DEFAULT_SEED,
    DEFAULT_STAFF,
    SAMPLE_FILES,
    SampleSummary,
    generate,
)
from graph_sync.worker import SyncWorker, open_state, open_worker, run_lock
from liststore import SchemaReport, StoreError
from tabular import RowError

logger = logging.getLogger(__name__)

EPILOG = """\
exit codes:
  0  success
  1  some rows or items failed, or a source file could not be read (details printed)
  2  bad arguments or settings (one line names the setting)
  3  safety stop: a run would have removed too much of a list, or emptied or rewritten one
     column on too much of it (check the export; --force if intended)
  4  another sync run is using the same data directory or shared state (nothing was done),
     or this run's shared lock was lost and it stopped

settings come from DX_* environment variables or .env; see README.
"""


# ---- commands -----------------------------------------------------------------------------


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out) if args.out else settings.resolved_sources_dir
    try:
        summary = generate(out, seed=args.seed, staff=args.staff, encoding=args.encoding)
    except ValueError as exc:
        fail(str(exc))
    _print_sample(summary)
    return EXIT_OK


def _print_sample(s: SampleSummary) -> None:
    print(f"サンプル市のデータを作成しました / sample city written to {s.out_dir}")
    print(f"  職員 {s.staff} 人（{s.bureaus} 部局・{s.sections} 課）, 研修コース {s.courses}, "
          f"受講記録 {s.completions}, リーダー名簿 {s.leaders} [{s.encoding}]")


def _describe_schema(report: SchemaReport) -> str:
    if report.created:
        what = "作成 / created"
    elif report.changed:
        parts = []
        if report.added_columns:
            parts.append("列を追加 / added columns: " + ", ".join(report.added_columns))
        if report.added_indexes:
            parts.append("インデックスを追加 / indexed: " + ", ".join(report.added_indexes))
        if report.added_choices:
            parts.append("選択肢を追加 / choices added: " + ", ".join(report.added_choices))
        what = "; ".join(parts)
    else:
        what = "変更なし / up to date"
    return f"  {report.list_name}: {what}"


async def cmd_provision(args: argparse.Namespace, settings: Settings) -> int:
    async with open_worker(settings) as worker:
        reports = await worker.provision()
    if args.json:
        print(json.dumps([_schema_json(r) for r in reports], ensure_ascii=False, indent=2))
    else:
        print(f"リストを準備しました / lists provisioned ({settings.store})")
        for r in reports:
            print(_describe_schema(r))
            for d in r.drift:
                print(f"    注意 / drift: {d}")
    return EXIT_OK


def _schema_json(r: SchemaReport) -> dict[str, Any]:
    return {"list": r.list_name, "created": r.created, "added_columns": list(r.added_columns),
            "added_indexes": list(r.added_indexes),
            "added_choices": list(r.added_choices), "drift": list(r.drift)}


@asynccontextmanager
async def exclusive_worker(settings: Settings, resources: Sequence[str] | None = None,
                           *, config: SyncConfig | None = None) -> AsyncIterator[SyncWorker]:
    """A worker holding the sync's run lock, or exit 4 naming who holds it."""
    try:
        async with open_worker(settings, resources, config=config, exclusive=True) as worker:
            yield worker
    except LockLost as exc:
        fail(f"同期の実行ロックが失われたため、途中で停止しました。次の実行で続きから完了します / {exc}; "
             "the next run completes its work", EXIT_BUSY)
    except Busy as exc:
        shared = (f"the state shared in Azure Storage (prefix {settings.state_prefix})"
                  if settings.state_store == "azure" else str(settings.data_dir))
        fail(f"別の同期（{exc.holder}）が実行中です。終わってからもう一度実行してください / "
             f"another sync run ({exc.holder}) is using {shared}; try again when it has finished", EXIT_BUSY)


def errors_path_or_exit(settings: Settings, given: str | None) -> Path | None:
    """Where `--errors` writes, checked before anything runs: a file in an existing folder, and
    never one of the exports the sync reads or a file of its own state."""
    if not given:
        return None
    path = Path(given).resolve()
    if path.is_dir():
        fail(f"--errors: {given} はフォルダーです。ファイル名を指定してください / is a folder; name a file")
    if not path.parent.is_dir():
        fail(f"--errors: {path.parent} というフォルダーはありません / no such folder")
    for folder in (settings.resolved_sources_dir, settings.data_dir):
        if path.is_relative_to(folder.resolve()):
            fail(f"--errors: {given} は同期が読み書きするフォルダー（{folder}）の中です。別の場所を指定して"
                 f"ください / would write among the sync's own files; choose another place")
    return path


def write_row_errors(path: Path, errors: Sequence[RowError]) -> bool:
    """Every skipped row as CSV (UTF-8 with BOM, cells safe to open in Excel); False (and one
    line on stderr) when the file cannot be written."""
    from tabular.cells import write_csv

    try:
        write_csv(path, [["ファイル / file", "行 / row", "列 / column", "理由 / reason"],
                         *([e.file, str(e.line), e.column, e.reason] for e in errors)])
    except OSError as exc:
        print(f"エラー / error: --errors: {path} に書けません / cannot write ({exc.strerror})", file=sys.stderr)
        return False
    return True


async def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    config = load_sync_config()
    errors_file = errors_path_or_exit(settings, args.errors)
    _, resources = config.selection(args.job)
    async with exclusive_worker(settings, resources, config=config) as worker:
        plans = await worker.plan(force=args.force)
    out: dict[str, Any] = {}
    errors = 0
    all_errors = [e for p in plans if p.extracted for e in p.extracted.errors]
    if errors_file and not write_row_errors(errors_file, all_errors):
        errors += 1
    for p in plans:
        if p.error or p.plan is None or p.extracted is None:
            out[p.mapping.name] = {"error": p.error}
            errors += 1
            continue
        pl = p.plan
        errors += len(p.extracted.errors)
        out[pl.list_name] = {
            "create": len(pl.creates), "update": len(pl.updates),
            "deactivate": len(pl.deactivations), "delete": len(pl.deletes),
            "unchanged": pl.unchanged, "skipped_rows": len(p.extracted.errors),
            "stopped": p.stopped,
            "examples": {
                "create": [c.key for c in pl.creates[:3]],
                "update": [{"key": u.key, "fields": sorted(u.fields)} for u in pl.updates[:3]],
                "deactivate": [d.key for d in pl.deactivations[:3]],
                "delete": [d.key for d in pl.deletes[:3]],
            },
            "row_errors": [str(e) for e in p.extracted.errors],
            "warnings": p.extracted.warnings,
        }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for name, info in out.items():
            if "error" in info:
                print(f"{name}: 読み込めません / unreadable: {info['error']}")
                continue
            print(f"{name}: 作成 {info['create']} / 更新 {info['update']} / 無効化 {info['deactivate']}"
                  f" / 削除 {info['delete']} / 変更なし {info['unchanged']}"
                  f" / スキップ行 {info['skipped_rows']}")
            for w in info["warnings"]:
                print(f"    注意 / warning: {w}")
            for e in info["row_errors"][:5]:
                print(f"    {e}")
            if len(info["row_errors"]) > 5:
                print(f"    … ほか {len(info['row_errors']) - 5} 行 / more rows (--json or --errors FILE)")
            if info["stopped"]:
                print(f"    {info['stopped']}")
    return EXIT_FAILED if errors else EXIT_OK


class _ProgressLine:
    """A one-line progress indicator on a terminal; silent otherwise (logs carry the news)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, list_name: str, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r  {list_name:<18} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _print_run(report: RunReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    t = report.totals()
    print(f"同期が終わりました / sync finished in {report.seconds:.1f}s: 作成 {t['created']}, "
          f"更新 {t['updated']}, 無効化 {t['deactivated']}, 削除 {t['deleted']}, "
          f"変更なし {t['unchanged']}, 失敗 {t['failed']}, Graph リクエスト {t['requests']}")
    for name, r in report.lists.items():
        print(f"  {name}: created={r.created} updated={r.updated} deactivated={r.deactivated} "
              f"deleted={r.deleted} unchanged={r.unchanged} failed={r.failed} requests={r.requests} "
              f"seconds={r.seconds:.1f}")
        for f in r.failures[:5]:
            print(f"    {f}")
    for w in report.warnings:
        print(f"  注意 / warning: {w}")
    for e in report.row_errors[:20]:
        print(f"  スキップ / skipped: {e}")
    if len(report.row_errors) > 20:
        print(f"  … ほか {len(report.row_errors) - 20} 行 / more rows (--json or --errors FILE lists them all)")
    if report.row_errors:
        print("  スキップした行のリスト項目は前回のまま残しています / the items of skipped rows were left as they were")
    for problem in report.file_errors:
        print(f"  読み込めません / unreadable: {problem}")
    for s in report.stops:
        print(f"  {s}")
    for name, n in report.edited.items():
        print(f"  {name}: 前回の同期以降に {n} 件がリスト上で編集されていました（同期で上書きしました） / "
              f"{n} items were edited in the list since the last run (the export's values were written)")
    if report.resumed:
        print(f"  前回の実行（#{', #'.join(map(str, report.resumed))}）は途中で終了していたため、"
              f"今回の実行で残りを反映しました / an earlier run had been interrupted; this run "
              f"completed its work")


def _exit_code(report: RunReport) -> int:
    if report.stops:
        return EXIT_STOPPED
    return EXIT_OK if report.ok else EXIT_FAILED


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    config = load_sync_config()
    errors_file = errors_path_or_exit(settings, args.errors)
    job, resources = config.selection(args.job)
    async with exclusive_worker(settings, resources, config=config) as worker:
        report = await worker.run(job=job, force=args.force,
                                  progress=_ProgressLine(sys.stderr.isatty() and not args.json))
    written = write_row_errors(errors_file, report.row_errors) if errors_file else True
    _print_run(report, args.json)
    code = _exit_code(report)
    return EXIT_FAILED if code == EXIT_OK and not written else code


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """What `make run` does before seeding the FAQ and serving the bot: data in place, lists
    ready, one sync."""
    sources = settings.resolved_sources_dir
    if all((sources / name).exists() for name in SAMPLE_FILES):
        print(f"サンプルデータは作成済みです / sample data already in {sources}")
    else:
        _print_sample(generate(sources, seed=args.seed, staff=args.staff))
    async with exclusive_worker(settings) as worker:
        for r in await worker.provision():
            print(_describe_schema(r))
        report = await worker.run(progress=_ProgressLine(sys.stderr.isatty()))
    _print_run(report, as_json=False)
    return _exit_code(report)


def _next_runs() -> list[dict[str, str]]:
    """When each job of config/sync.toml fires next (as `dx-sync schedule` would, before jitter)."""
    from datetime import UTC, datetime

    from graph_sync.cron import Cron

    now = datetime.now(UTC)
    return [{"job": j.name, "cron": j.cron,
             "next_run": Cron.parse(j.cron).next_after(now).isoformat(timespec="minutes")}
            for j in load_sync_config().jobs]


async def cmd_kpi(args: argparse.Namespace, settings: Settings) -> int:
    """The KPIs of a fiscal year: written to the KPI list (only what changed), then the report."""
    from graph_sync.kpi import compute, write
    from graph_sync.kpi_report import render
    from liststore import open_store

    if args.format in ("png", "xlsx") and args.out is None:
        fail(f"--format {args.format} には --out FILE が必要です / needs --out FILE", EXIT_USAGE)
    if args.out is not None and not Path(args.out).resolve().parent.is_dir():
        fail(f"--out: {Path(args.out).parent} というフォルダーはありません / no such folder", EXIT_USAGE)
    async with open_store(settings) as store:
        kpis = await compute(store, args.fiscal_year)
        written = await write(store, kpis)
    text = render(kpis, args.format, Path(args.out) if args.out else None)
    summary = (f"KPI リスト（{kpis.fiscal_year}年度）: 作成 {written.created} 更新 {written.updated} "
               f"変更なし {written.unchanged} 削除 {written.removed} / KPI list: created {written.created} "
               f"updated {written.updated} unchanged {written.unchanged} removed {written.removed}")
    if text is not None:
        sys.stdout.write(text)
        print(summary, file=sys.stderr)
    else:
        print(f"{summary}\nレポートを書きました / wrote {args.out}")
    return EXIT_OK


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    state = open_state(settings)
    try:
        runs = await state.runs(limit=args.limit)
    finally:
        await state.close()
    upcoming = _next_runs()
    if args.json:
        print(json.dumps({"runs": [{"id": r.id, "job": r.job, "started_at": r.started_at,
                                    "finished_at": r.finished_at, "status": r.status,
                                    "totals": (r.report or {}).get("totals")} for r in runs],
                          "next": upcoming}, ensure_ascii=False, indent=2))
        return EXIT_OK
    print("次回の予定 / next scheduled runs (JST):")
    for u in upcoming:
        print(f"  {u['job']:<20} {u['next_run']}  ({u['cron']})")
    if not runs:
        print("まだ同期を実行していません / no runs yet")
        return EXIT_OK
    labels = {"ok": "成功 ok", "failed": "失敗 failed", "stopped": "停止 stopped",
              "running": "実行中 running", "interrupted": "中断 interrupted"}
    print("最近の同期 / recent runs (UTC):")
    for r in runs:
        t = (r.report or {}).get("totals") or {}
        counts = (f"作成 {t.get('created', 0)} 更新 {t.get('updated', 0)} 無効化 {t.get('deactivated', 0)} "
                  f"削除 {t.get('deleted', 0)} 失敗 {t.get('failed', 0)}") if t else ""
        print(f"  #{r.id:<4} {r.started_at}  {r.job:<11} {labels.get(r.status, r.status):<16} {counts}")
    return EXIT_OK


async def scheduled_run(settings: Settings, config: SyncConfig, name: str, resources: Sequence[str]) -> bool:
    """One run of a scheduled job; a job with `kpi = true` then computes the KPIs into the KPI
    list from what it just synced. True when everything succeeded."""
    async with open_worker(settings, list(resources), config=config) as worker:
        report = await worker.run(job=name)
    t = report.totals()
    logger.info("job %s: created=%d updated=%d deactivated=%d deleted=%d failed=%d stops=%d",
                name, t["created"], t["updated"], t["deactivated"], t["deleted"], t["failed"], len(report.stops))
    if report.ok and any(j.name == name and j.kpi for j in config.jobs):
        from graph_sync.kpi import compute, write
        from liststore import open_store

        async with open_store(settings) as store:
            written = await write(store, await compute(store))
        logger.info("job %s: KPI list created=%d updated=%d unchanged=%d", name, written.created,
                    written.updated, written.unchanged)
    return report.ok


async def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Run the jobs of config/sync.toml on their schedules until SIGTERM or Ctrl+C."""
    import signal

    from aiohttp import web

    from graph_sync.cron import Cron
    from graph_sync.scheduler import Job, Scheduler

    config = load_sync_config()

    async def run_job(name: str, resources: Sequence[str]) -> bool:
        return await scheduled_run(settings, config, name, resources)

    jobs = [Job(j.name, Cron.parse(j.cron), tuple(j.resources)) for j in config.jobs]
    if not jobs:
        fail("config/sync.toml has no [[jobs]] to schedule")
    scheduler = Scheduler(jobs, run_job, lambda: run_lock(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response(scheduler.health(), status=200 if scheduler.healthy() else 503)

    runner = None
    if settings.sync_health_port:
        app = web.Application()
        app.router.add_get("/healthz", healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.sync_health_host, settings.sync_health_port).start()
    for st in scheduler.status.values():
        logger.info("job %s (%s): next run %s", st.name, st.cron, st.next_run.isoformat(timespec="seconds"))
    try:
        await scheduler.run(stop)
    finally:
        if runner is not None:
            await runner.cleanup()
    logger.info("scheduler stopped")
    return EXIT_OK


# ---- parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dx-sync",
        description="DXコミュニティのリストを同期します / sync the DX community's lists.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = add("sample", "サンプル市のエクスポートを作成 / write the sample city's CSV exports")
    p.add_argument("--out", help="output folder (default: DX_SOURCES_DIR)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--staff", type=int, default=DEFAULT_STAFF, help=f"head count (default {DEFAULT_STAFF})")
    p.add_argument("--encoding", choices=("cp932", "utf-8", "utf-8-sig"), default="cp932",
                   help="encoding of the HR and LMS exports (default cp932, as Excel saves them)")

    p = add("provision", "リストと列・インデックスを作成 / create missing lists, columns and indexes")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    for name, help_ in (("plan", "変更内容の確認（書き込みなし）/ show what a run would change"),
                        ("run", "同期を実行 / sync the exports into the lists")):
        p = add(name, help_)
        p.add_argument("--job", help="a job of config/sync.toml (nightly, completions-daytime) or "
                                     "one resource (staff, courses, completions, leaders)")
        p.add_argument("--force", action="store_true",
                       help="write even when more than the allowed share of a list would be removed")
        p.add_argument("--json", action="store_true", help="print one JSON document (every skipped row)")
        p.add_argument("--errors", metavar="FILE",
                       help="write every skipped row (file, row as Excel shows it, column, reason) "
                            "to FILE as CSV")

    p = add("status", "最近の同期結果 / the latest runs and their outcome")
    p.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    add("schedule", "ジョブを設定どおりに定期実行 / run the jobs of config/sync.toml on their "
                    "schedules (JST), with /healthz on DX_SYNC_HEALTH_PORT; stops on SIGTERM")

    p = add("kpi", "DX会議の KPI を集計し KPI リストとレポートに / compute the KPIs, write the KPI list "
                   "(only what changed) and the report")
    p.add_argument("--fiscal-year", type=int, help="e.g. 2026 for April 2026 – March 2027 (default: this one)")
    p.add_argument("--format", choices=("md", "html", "png", "xlsx"), default="md",
                   help="md prints to the terminal; html (charts inline), png (the four charts) and xlsx "
                        "(tables, and the charts on their own sheet) are written to --out")
    p.add_argument("--out", help="the file to write")

    p = add("demo", "サンプル作成・準備・同期を一度に / sample (if missing) + provision + run")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=argparse.SUPPRESS)
    p.add_argument("--staff", type=int, default=DEFAULT_STAFF, help=argparse.SUPPRESS)
    return parser


COMMANDS = {"sample": cmd_sample, "provision": cmd_provision, "plan": cmd_plan, "run": cmd_run,
            "status": cmd_status, "schedule": cmd_schedule, "demo": cmd_demo, "kpi": cmd_kpi}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dx-sync` console script."""
    args = build_parser().parse_args(argv)
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    if args.command in ("plan", "run"):
        try:
            load_sync_config().selection(args.job)
        except KeyError as exc:
            fail(str(exc.args[0]))
    handler = COMMANDS[args.command]
    try:
        result = handler(args, settings)
        code: int = asyncio.run(result) if asyncio.iscoroutine(result) else result  # type: ignore[assignment]
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)
    except StoreError as exc:
        fail(str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        print("中断しました / interrupted", file=sys.stderr)
        return 130
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
