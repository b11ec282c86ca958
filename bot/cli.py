"""`dx-bot`: serve the DX community bot, chat with it in a terminal, manage and query the FAQ."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from aiohttp import web

from config.runtime import EXIT_OK, EXIT_USAGE, configure_logging, settings_or_exit
from config.settings import Settings

if TYPE_CHECKING:
    from bot.faq.entry import FaqEntry
    from liststore import ListStore
    from tabular.reports import Document

logger = logging.getLogger(__name__)

EXIT_BAD_INPUT = 1
EXIT_STOPPED = 3

EPILOG = """\
exit codes:
  0  done
  1  the file had errors (nothing imported), or the store could not be reached
  2  bad arguments or settings (one line names the setting)
  3  safety stop: an import would have emptied the FAQ or removed too much of it (--force)

settings come from DX_* environment variables or .env; see README.
"""


def _day(text: str) -> str:
    """A day as YYYY-MM-DD (what --since takes)."""
    import datetime

    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: YYYY-MM-DD で指定してください / use YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="dx-bot",
                                     description="DXコミュニティのボット / the DX community bot for Microsoft Teams.",
                                     epilog=EPILOG, formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("serve", help="serve /api/messages and /healthz", description="serve /api/messages and /healthz",
                       epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--host", help="bind address (default DX_BOT_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default DX_BOT_PORT, 3978)")
    p = sub.add_parser("chat", help="talk to the bot in this terminal (same pipeline as Teams)",
                       description="talk to the bot in this terminal; type a button's number to press it",
                       epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--locale", default="ja-JP", help="ja-JP (default) or en-US")

    faq = sub.add_parser("faq", help="import, export or query the FAQ", epilog=EPILOG, formatter_class=fmt)
    faq_sub = faq.add_subparsers(dest="faq_command", required=True, metavar="ACTION")
    p = faq_sub.add_parser("import", help="replace the FAQ with a CSV or .xlsx file (--merge: add and update)",
                           description="columns: id, question, alternate_questions (one per line), answer, "
                                       "category, tags[, source_url]; UTF-8, UTF-8 with BOM or cp932",
                           epilog=EPILOG, formatter_class=fmt)
    p.add_argument("file", type=Path)
    p.add_argument("--merge", action="store_true", help="add and update entries; delete none")
    p.add_argument("--add-categories", action="store_true",
                   help="add the file's categories that the FAQ list lacks as new choices")
    p.add_argument("--force", action="store_true",
                   help="replace even when that removes more than 20%% of the FAQ")
    faq_sub.add_parser("seed", help="load the packaged sample FAQ (45 entries) when the FAQ list is empty",
                       description="for a first try: fills an empty FAQ list with the FAQ the product ships "
                                   "with (config/faq_seed.toml); an FAQ that has entries is left alone",
                       epilog=EPILOG, formatter_class=fmt)
    p = faq_sub.add_parser("export", help="write the FAQ to a CSV (UTF-8 with BOM) or .xlsx file",
                           epilog=EPILOG, formatter_class=fmt)
    p.add_argument("file", type=Path)
    p = faq_sub.add_parser("ask", help="what the bot would answer (one question, or one per line on stdin)",
                           epilog=EPILOG, formatter_class=fmt)
    p.add_argument("question", nargs="?", help="the question; without it, read one per line from stdin")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("--explain", action="store_true",
                   help="why: the question as the matcher reads it, and each top candidate's features, "
                        "weights and probability against the threshold")
    p = faq_sub.add_parser("alternates",
                           help="write the wordings people picked on \"did you mean\" as new alternates, for review",
                           description="reads the Questions list (評価 = 候補から選択) and writes the entries "
                                       "that gain alternates to FILE (CSV or .xlsx, the import format); review it, "
                                       "then `dx-bot faq import FILE --merge`",
                           epilog=EPILOG, formatter_class=fmt)
    p.add_argument("file", type=Path)
    p = faq_sub.add_parser("check-synonyms", help="check a synonym file before the bot uses it",
                           description="default: the file DX_FAQ_SYNONYMS_FILE names, else the packaged one",
                           epilog=EPILOG, formatter_class=fmt)
    p.add_argument("file", type=Path, nargs="?")

    report = sub.add_parser("report", help="figures for the DX meeting", epilog=EPILOG, formatter_class=fmt)
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    p = report_sub.add_parser("proposals", help="業務改善提案 of one fiscal year: by status, category, bureau "
                                                "and month, and hours saved",
                              description="md (default) prints to the terminal; csv, xlsx and html are written "
                                          "to --out (xlsx needs it); every spreadsheet cell is formula-safe",
                              epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--fiscal-year", type=int, help="e.g. 2026 for April 2026 – March 2027 (default: this one)")
    p.add_argument("--format", choices=("md", "csv", "xlsx", "html"), default="md")
    p.add_argument("--out", type=Path, help="the file to write (default: print md, csv and html)")
    p = report_sub.add_parser("gaps", help="what the FAQ does not answer: questions without an answer, "
                                           "grouped by meaning, most askers first; entries rated unhelpful",
                              description="reads the Questions list (personal data in it is masked); md "
                                          "(default) prints to the terminal; csv, xlsx and html are written to "
                                          "--out (xlsx needs it)",
                              epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--since", type=_day, help="only questions asked on or after this day (YYYY-MM-DD)")
    p.add_argument("--format", choices=("md", "csv", "xlsx", "html"), default="md")
    p.add_argument("--out", type=Path, help="the file to write (default: print md, csv and html)")
    app = sub.add_parser("teams-app", help="the Teams app package", epilog=EPILOG, formatter_class=fmt)
    app_sub = app.add_subparsers(dest="app_command", required=True, metavar="ACTION")
    p = app_sub.add_parser("build", help="write the zip for Teams admin center or sideloading",
                           description="manifest (schema v1.24, Japanese with English strings), icons; the bot id "
                                       "from DX_BOT_APP_ID, the developer's pages from DX_TEAMS_APP_WEBSITE_URL; "
                                       "each build takes the next version",
                           epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--out", type=Path, help="the zip to write (default: ./teams-app-VERSION.zip)")
    p.add_argument("--version", help="MAJOR.MINOR.PATCH, higher than the last build (default: the next one)")
    training = sub.add_parser("training", help="training reminders", epilog=EPILOG, formatter_class=fmt)
    training_sub = training.add_subparsers(dest="training_command", required=True, metavar="ACTION")
    p = training_sub.add_parser("nudges", help="who would be reminded of a required course today (sends nothing)",
                                description="lists staff with a required course not completed whose deadline is "
                                            "near (config/training.toml), and whether the bot can reach them; md "
                                            "(default) prints to the terminal; csv and xlsx are written to --out",
                                epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--date", type=_day, help="as on this day (YYYY-MM-DD; default: today in Japan)")
    p.add_argument("--format", choices=("md", "csv", "xlsx"), default="md")
    p.add_argument("--out", type=Path, help="the file to write (default: print md and csv)")
    return parser


def _training_problem(path: Path | None) -> str | None:
    """Why the training settings file cannot be used, or None when it can."""
    import tomllib

    from pydantic import ValidationError

    from config.training import load_training_config

    try:
        load_training_config(path)
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return f"{path}: {exc}"
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return None


def _synonyms_problem(path: Path | None) -> str | None:
    """Why the synonym file cannot be used, or None when it can."""
    from bot.faq.text import Synonyms, SynonymsError

    try:
        Synonyms.load(path)
    except SynonymsError as exc:
        return str(exc)
    return None


async def _faq_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.faq.entry import FAQ_LIST
    from bot.faq.importer import (
        FILE_COLUMN,
        MAX_REPLACE_REMOVAL_SHARE,
        FaqFileError,
        import_entries,
        new_categories,
        read_faq,
        stale_ids,
        with_categories,
    )
    from config.schema import load_list_specs
    from liststore import open_store

    def refuse(message: str, code: int = EXIT_BAD_INPUT) -> int:
        print(f"エラー / error: {message}", file=sys.stderr)
        return code

    async with open_store(settings) as store:
        spec = await store.spec(FAQ_LIST)
        try:
            first = read_faq(args.file)
        except FaqFileError as exc:
            return refuse(str(exc))
        added = new_categories(first.entries, spec) if args.add_categories else []
        spec = with_categories(spec, added)
        read = first.checked(spec)  # every rule, on the whole file
        entries, errors = read.entries, read.errors
        for error in errors:
            print(str(error), file=sys.stderr)
        if errors:
            return refuse(f"{len(errors)} 件の問題があるため、何も取り込みませんでした / "
                          f"{len(errors)} problem(s): nothing imported")
        if not args.merge:
            stale, have = await stale_ids(store, entries)
            if not entries:
                return refuse(f"{args.file.name} に FAQ がありません。置き換えると FAQ が空になるため"
                              f"中止しました / the file has no entries; replacing would empty the FAQ",
                              EXIT_STOPPED)
            share = len(stale) / have if have else 0.0
            if share > MAX_REPLACE_REMOVAL_SHARE and not args.force:
                return refuse(f"置き換えると FAQ {have} 件のうち {len(stale)} 件（{share:.0%}）が削除されるため"
                              f"中止しました。ファイルを確認し、正しければ --force を付けてください / "
                              f"stopped: replacing would delete {len(stale)} of {have} entries; "
                              f"check the file or use --force (or --merge)", EXIT_STOPPED)
        if added:
            declared = with_categories(load_list_specs()[FAQ_LIST], added)
            await store.ensure_list(declared)
            print(f"カテゴリを追加しました / categories added: {', '.join(added)}")
        for column in sorted(read.absent):
            print(f"注意 / warning: {FILE_COLUMN[column]} 列がないため、既存の FAQ の{spec.column(column).display}は"
                  f"変更しません / no {FILE_COLUMN[column]} column: existing entries keep theirs")
        written, removed = await import_entries(store, entries, replace=not args.merge, keep=read.absent)
    failed = [w for w in [*written, *removed] if not w.ok]
    for w in failed:
        print(f"{w.key}: {w.error}", file=sys.stderr)
    print(f"FAQ: {sum(w.ok for w in written)} 件を登録・更新、{sum(r.ok for r in removed)} 件を削除しました"
          f" / {sum(w.ok for w in written)} written, {sum(r.ok for r in removed)} removed")
    return EXIT_BAD_INPUT if failed else EXIT_OK


async def _faq_seed(settings: Settings) -> int:
    from bot.faq.entry import FAQ_LIST, seed_entries
    from bot.faq.importer import import_entries
    from liststore import open_store

    async with open_store(settings) as store:
        have = await store.count(FAQ_LIST)
        if have:
            print(f"FAQ は登録済みです（{have} 件）。変更しません / the FAQ already has {have} entries; left as it is")
            return EXIT_OK
        written, _ = await import_entries(store, seed_entries(), replace=False)
    failed = [w for w in written if not w.ok]
    for w in failed:
        print(f"{w.key}: {w.error}", file=sys.stderr)
    print(f"FAQ を {sum(w.ok for w in written)} 件登録しました / FAQ entries loaded")
    return EXIT_BAD_INPUT if failed else EXIT_OK


async def _faq_export(settings: Settings, path: Path) -> int:
    from bot.faq.importer import write_faq_file
    from liststore import open_store

    async with open_store(settings) as store:
        entries = await _published_entries(store)
    write_faq_file(path, entries)
    print(f"FAQ: {len(entries)} 件を {path} に書き出しました / {len(entries)} entries written")
    return EXIT_OK


async def _faq_alternates(settings: Settings, path: Path) -> int:
    from bot.faq.alternates import review
    from bot.faq.importer import write_faq_file
    from bot.faq.text import Synonyms
    from bot.questions import picks, promoted
    from liststore import open_store

    async with open_store(settings) as store:
        entries = await _published_entries(store)
        found = review(entries, await picks(store), Synonyms.load(settings.faq_synonyms_file))
        marked = await promoted(store, found.promoted)
    if marked:
        print(f"{marked} 件の質問の言い換えは登録済みのため「FAQ化」にしました / {marked} marked FAQ化")
    for wording in found.conflicting:
        print(f"別々のFAQが選ばれたため候補にしません / picked for different entries, not suggested: {wording}")
    if not found.suggested:
        print("新しい言い換えの候補はありません / no new alternates to suggest")
        return EXIT_OK
    for entry, wordings in found.suggested:
        print(f"{entry.faq_id} {entry.question}")
        for wording in wordings:
            print(f"  + {wording}")
    write_faq_file(path, [entry for entry, _ in found.suggested])
    count = sum(len(w) for _, w in found.suggested)
    print(f"{len(found.suggested)} 件のFAQに {count} 件の言い換えを追加して {path} に書き出しました。"
          f"確認して不要な行を消してから dx-bot faq import {path} --merge で取り込んでください。\n"
          f"{count} alternates for {len(found.suggested)} entries written to {path}; review, then import with --merge")
    return EXIT_OK


async def _published_entries(store: ListStore) -> list[FaqEntry]:
    """The FAQ list's published entries, by id."""
    from bot.faq.entry import FAQ_LIST
    from bot.faq.service import entry_from_item

    entries = [e async for page in store.pages(FAQ_LIST) for item in page
               if (e := entry_from_item(item)) is not None]
    return sorted(entries, key=lambda e: e.faq_id)


async def _faq_ask(settings: Settings, question: str | None, as_json: bool, explain: bool = False) -> int:
    from bot.faq.service import FaqService
    from liststore import open_store

    async with open_store(settings) as store:
        faq = await FaqService.from_settings(store, settings)
    questions = [question] if question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for q in questions:
        if explain:
            print(_explained(faq, q, as_json), flush=True)
            continue
        match = await faq.ask(q)
        if as_json:
            print(json.dumps(match.as_json(), ensure_ascii=False), flush=True)
            continue
        entry = faq.entry(match.faq_id) if match.faq_id else None
        if entry is not None:
            print(f"{entry.faq_id} ({match.score:.2f}) {entry.question}\n{entry.answer}")
        else:
            near = ", ".join(f"{c.faq_id} ({c.score:.2f})" for c in match.candidates)
            print(f"回答なし / no answer (score {match.score:.2f}); 候補 / candidates: {near or '-'}")
    return EXIT_OK


def _explained(faq: Any, question: str, as_json: bool) -> str:
    """`faq ask --explain`: what the matcher read, each top candidate's features × weights, the
    probability, and the decision with its reason."""
    x = faq.matcher.explain(question)
    m = x.match
    if m.answered:
        decision = f"回答する / answer {m.faq_id}: {m.score:.2f} ≥ {x.threshold:.2f}"
    elif m.suggestions:
        runner = m.candidates[1].score if len(m.candidates) > 1 else 0.0
        why = ("漠然とした質問 / too vague: it names one thing many entries speak of" if x.vague
               else f"2位 {runner:.2f} が1位の {x.close_ratio:.0%} 以上 / runner-up too close" if m.score >= x.threshold
               else f"{m.score:.2f} < {x.threshold:.2f}")
        decision = f"もしかして / did you mean ({why})"
    else:
        decision = f"回答なし / no answer ({m.score:.2f} < {x.threshold:.2f})"
    if as_json:
        return json.dumps({"question": question, "read_as": x.question, "words": list(x.words),
                           "features": list(x.feature_names), "weights": list(x.weights),
                           "candidates": [{"faq_id": f, "features": [round(v, 4) for v in feats],
                                           "probability": round(p, 4)} for f, feats, p in x.candidates],
                           "match": m.as_json(), "threshold": x.threshold}, ensure_ascii=False)
    lines = [f"質問 / question: {question}", f"読み / read as: {x.question}",
             f"単語 / words: {' '.join(x.words) or '-'}",
             f"重み / weights: bias {x.weights[0]:+.2f}, " + ", ".join(
                 f"{n} {w:+.2f}" for n, w in zip(x.feature_names, x.weights[1:]))]
    for rank, (faq_id, feats, p) in enumerate(x.candidates, 1):
        entry = faq.entry(faq_id)
        lines.append(f"{rank}. {faq_id} {entry.question if entry else ''}")
        lines.append("   " + ", ".join(f"{n} {v:.3f}" for n, v in zip(x.feature_names, feats))
                     + f" → 確率 / probability {p:.3f}")
    lines.append(f"判定 / decision: {decision}")
    return "\n".join(lines)


async def _chat(settings: Settings, locale: str) -> int:
    from bot.app import open_bot
    from bot.chat import TerminalChat

    async with open_bot(settings) as core:
        def read_line() -> str | None:
            try:
                return input("you> ")
            except EOFError:
                return None
        await TerminalChat(core.pipeline, locale=locale,
                           division=(settings.division_name, settings.division_name_en)).run(read_line)
    return EXIT_OK


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    from liststore import open_store
    from tabular import reports

    if args.format == "xlsx" and args.out is None:
        print("エラー / error: --format xlsx には --out FILE が必要です / needs --out FILE", file=sys.stderr)
        return EXIT_USAGE
    if args.out is not None and not args.out.resolve().parent.is_dir():
        print(f"エラー / error: --out: {args.out.parent} というフォルダーはありません / no such folder",
              file=sys.stderr)
        return EXIT_USAGE
    async with open_store(settings) as store:
        if args.command == "training":
            doc, count = await _nudges_document(store, settings, args.date)
        elif args.report_command == "proposals":
            doc, count = await _proposals_document(store, args.fiscal_year)
        else:
            doc, count = await _gaps_document(store, settings, args.since)
    text = reports.render(doc, args.format, args.out)
    if text is not None:
        sys.stdout.write(text)
    else:
        print(f"{doc.title}（{count} 件）を書きました / wrote {args.out}")
    return EXIT_OK


def _teams_app(settings: Settings, args: argparse.Namespace) -> int:
    from bot.teams_app.package import PackageError, build

    if args.out is not None and not args.out.resolve().parent.is_dir():
        print(f"エラー / error: --out: {args.out.parent} というフォルダーはありません / no such folder",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        built = build(settings, args.out, args.version)
    except PackageError as exc:
        print(f"エラー / error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Teams アプリのパッケージ {built.version} を書きました / wrote {built.path}")
    return EXIT_OK


async def _nudges_document(store: ListStore, settings: Settings, day: str | None) -> tuple[Document, int]:
    from datetime import date

    from bot.app import open_state
    from bot.people import Directory
    from bot.training.nudges import TrainingNudges, document
    from bot.training.records import TrainingRecords
    from config.training import load_training_config

    state = open_state(settings)
    try:
        records = TrainingRecords(store, load_training_config(settings.training_file))
        today = date.fromisoformat(day) if day else records.today()
        nudges = TrainingNudges(store, state, None, records, Directory(store, None, state=state).key_of,
                                lambda name, courses: "")
        due = await nudges.due(today)
    finally:
        await state.close()
    return document(due, today), len(due)


async def _proposals_document(store: ListStore, year: int | None) -> tuple[Document, int]:
    from bot.proposals import report
    from bot.proposals.numbering import fiscal_year
    from config.clock import utc_now

    figures = await report.collect(store, year or fiscal_year(utc_now()))
    return report.document(figures), figures.filed


async def _gaps_document(store: ListStore, settings: Settings, since: str | None) -> tuple[Document, int]:
    from bot.faq.analyzer import Analyzer
    from bot.faq.gaps import collect_gaps, document
    from bot.faq.service import FaqService
    from bot.faq.text import Synonyms

    faq = await FaqService.load(store, None)
    gaps = await collect_gaps(store, Analyzer(Synonyms.load(settings.faq_synonyms_file)), faq.matcher.entries,
                              since)
    return document(gaps), gaps.questions


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dx-bot` console script."""
    args = build_parser().parse_args(argv)
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    if args.command == "faq" and args.faq_command == "check-synonyms":
        path = args.file or settings.faq_synonyms_file
        problem = _synonyms_problem(path)
        if problem:
            print(f"同義語ファイルを使えません / synonym file unusable: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"同義語ファイルは使えます / synonym file OK: {path or 'config/faq_synonyms.toml'}")
        return EXIT_OK
    if args.command in ("serve", "chat") or (args.command == "faq" and args.faq_command in ("ask", "alternates")):
        # The bot cannot start on a synonym file it cannot read: say which and why, once.
        problem = _synonyms_problem(settings.faq_synonyms_file)
        if problem:
            print(f"DX_FAQ_SYNONYMS_FILE を使えません / unusable: {problem}", file=sys.stderr)
            return EXIT_USAGE
    if args.command in ("serve", "chat", "training"):
        problem = _training_problem(settings.training_file)
        if problem:
            print(f"DX_TRAINING_FILE を使えません / unusable: {problem}", file=sys.stderr)
            return EXIT_USAGE
    from liststore.errors import NotProvisionedError, StoreError

    try:
        return _run(args, settings)
    except NotProvisionedError as exc:
        print(f"{exc.list_name} リストがまだありません。先に dx-sync provision（試すだけなら dx-sync demo）を"
              f"実行してください / {exc}", file=sys.stderr)
    except StoreError as exc:
        print(f"リストを読み書きできません / store error: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _is_listen_error(exc: OSError) -> bool:
    """The address cannot be resolved, is not this machine's, is taken, or needs privileges."""
    import errno
    import socket

    return isinstance(exc, socket.gaierror) or exc.errno in {
        errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES}


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bot.app import create_app

        host = args.host or settings.bot_host
        port = args.port or settings.bot_port
        if not settings.bot_app_id:
            logger.warning(
                "LOCAL MODE: DX_BOT_APP_ID is not set, so requests are not authenticated. "
                "Never expose this server beyond this machine."
            )
        logger.info("serving on http://%s:%d (store: %s)", host, port, settings.store)
        try:
            web.run_app(create_app(settings), host=host, port=port, print=None)
        except OSError as exc:
            if not _is_listen_error(exc):
                raise
            print(f"エラー / error: DX_BOT_HOST / DX_BOT_PORT: {host}:{port} で待ち受けできません / "
                  f"cannot listen on {host}:{port} ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    if args.command == "chat":
        return asyncio.run(_chat(settings, args.locale))
    if args.command == "teams-app":
        return _teams_app(settings, args)
    if args.command in ("report", "training"):
        return asyncio.run(_report(settings, args))
    if args.faq_command == "import":
        return asyncio.run(_faq_import(settings, args))
    if args.faq_command == "seed":
        return asyncio.run(_faq_seed(settings))
    if args.faq_command == "export":
        return asyncio.run(_faq_export(settings, args.file))
    if args.faq_command == "alternates":
        return asyncio.run(_faq_alternates(settings, args.file))
    return asyncio.run(_faq_ask(settings, args.question, args.json, args.explain))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
