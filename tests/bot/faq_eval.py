"""Scores the FAQ matcher on the evaluation set: `python -m tests.bot.faq_eval [--split dev]`.

FAQs with development and held-out questions (`--faq`; by default the sparse and the rich side by side):
- `rich`: the FAQ the product ships with (config/faq_seed.toml), 7–10 wordings an entry;
- `sparse`: an FAQ as a division writes it (tests/bot/data/sparse_faq.toml), one wording an
  entry, with its own questions (sparse_eval_dev.toml, sparse_eval_test.toml);
- `seed-sparse`: the shipped FAQ with its alternates dropped, asked the rich FAQ's questions;
- `sparse2`: a second FAQ written once per entry (sparse_faq2.toml), development questions only;
- `sparse3`: a third, 50 entries, written with its questions by another hand than the matcher's
  (sparse_faq3.toml, sparse_eval3_dev.toml, sparse_eval3_test.toml).

The rich FAQ's three files, written by hand as staff type:
- `dev` (tests/bot/data/faq_eval_dev.toml and faq_eval_dev2.toml; `dev1`/`dev2` pick one): tune
  on it.
- `test` (tests/bot/data/faq_eval_test.toml): held out; nothing is tuned on it and its mistakes
  are never printed.

`--fit` refits the calibration on every FAQ's dev questions together and prints the weights to
paste into bot/faq/matcher.py (`--faq rich`: on the rich FAQ's alone); `--cv K` scores each
FAQ's dev questions by K-fold cross-validation of that fit;
`--leave-one-out` asks each of the FAQ's own wordings of an FAQ without it (a harder, larger
development measure of ranking). `--with-picks` scores an FAQ grown as `dx-bot faq alternates`
would grow it: each dev question asked back with the right entry among the candidates added to
that entry as an alternate. `--show-misses` lists dev mistakes only.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import tomllib
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.faq.analyzer import Analyzer
from bot.faq.encoder import SentenceEncoder, open_encoder
from bot.faq.entry import FaqEntry, entries_from
from bot.faq.matcher import CALIBRATION, CALIBRATION_WITH_MEANING, FEATURES, FaqMatcher, calibrate
from bot.faq.text import Synonyms

DATA = Path(__file__).parent / "data"
EVAL = DATA / "faq_eval_dev.toml"
EVAL2 = DATA / "faq_eval_dev2.toml"
TEST = DATA / "faq_eval_test.toml"
SPLITS = {"dev": [EVAL, EVAL2], "dev1": [EVAL], "dev2": [EVAL2], "test": [TEST], "all": [EVAL, EVAL2, TEST]}
# FAQs as a division writes them (one wording an entry) and their questions by split.
SPARSE = {
    "sparse": (DATA / "sparse_faq.toml", {"dev": [DATA / "sparse_eval_dev.toml"],
                                          "test": [DATA / "sparse_eval_test.toml"]}),
    "sparse2": (DATA / "sparse_faq2.toml", {"dev": [DATA / "sparse_eval2_dev.toml"]}),  # no held-out part
    "sparse3": (DATA / "sparse_faq3.toml", {"dev": [DATA / "sparse_eval3_dev.toml"],
                                            "test": [DATA / "sparse_eval3_test.toml"]}),
}
FAQS = ("sparse", "rich", "seed-sparse", "sparse2", "sparse3")
TARGETS = {"top1": 0.97, "answered_correct": 0.93, "answered_wrong": 0.02, "oos_rejected": 0.90}
# A sparse FAQ gives the matcher one wording an entry to go on: fewer questions are answered
# outright, the rest are offered as "did you mean".
SPARSE_TARGETS = {**TARGETS, "answered_correct": 0.90}


@dataclass(frozen=True)
class Case:
    question: str
    expected: str | None  # None: out of scope


def _groups(path: Path) -> list[tuple[str | None, list[str]]]:
    """(expected FAQ id, or None for out of scope; its questions) of one evaluation file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [*data["in_scope"].items(), (None, data["out_of_scope"]["questions"])]


def load_cases(split: str, faq: str = "rich") -> list[Case]:
    """Cases of one split (see SPLITS) of one FAQ (see FAQS): the rich `dev` is both its files."""
    if faq in SPARSE:
        splits = SPARSE[faq][1]
        files = [f for part in splits.values() for f in part] if split == "all" else splits.get(split, [])
    else:
        files = SPLITS[split]
    return [Case(q, expected) for path in files for expected, questions in _groups(path) for q in questions]


def load_faq(faq: str, size: int = 45) -> list[FaqEntry]:
    """The entries of one FAQ (see FAQS); the rich one padded with generated entries to `size`."""
    from benchmarks.faq_corpus import padded_faq

    if faq in SPARSE:
        return entries_from(tomllib.loads(SPARSE[faq][0].read_text("utf-8")))
    entries = padded_faq(max(45, size))
    if faq == "seed-sparse":  # the same entries, each with its question alone
        return [replace(e, alternate_questions=(), tags=None) for e in entries]
    return entries


@dataclass(frozen=True)
class Report:
    in_scope: int
    out_of_scope: int
    top1: float
    answered_correct: float
    answered_wrong: float
    oos_rejected: float
    # Kept out of the repr, so a failing assertion on a report cannot print held-out mistakes.
    misses: list[str] = field(repr=False)
    # Answered correctly, or the right entry listed on the "did you mean" card (not a target of
    # the issue; what a member of staff experiences as "found it").
    answered_or_offered: float = 0.0

    def meets_targets(self, targets: dict[str, float] = TARGETS) -> bool:
        return (self.top1 >= targets["top1"] and self.answered_correct >= targets["answered_correct"]
                and self.answered_wrong <= targets["answered_wrong"]
                and self.oos_rejected >= targets["oos_rejected"])

    def lines(self) -> list[str]:
        """The report as printed; without out-of-scope questions (leave-one-out), without their rows."""
        def row(label: str, value: float, n: int, target: str) -> str:
            low, high = wilson(value, n)
            return f"{label:23} {value:6.1%}  95% {low:5.1%}–{high:5.1%}  (target {target})"

        inside = [
            row("top-1 accuracy", self.top1, self.in_scope, f"≥ {TARGETS['top1']:.0%}"),
            row("answered correctly", self.answered_correct, self.in_scope, f"≥ {TARGETS['answered_correct']:.0%}"),
            row("answered wrongly", self.answered_wrong, self.in_scope, f"≤ {TARGETS['answered_wrong']:.0%}"),
        ]
        offered = row("answered or offered", self.answered_or_offered, self.in_scope, "none; one click away")
        if not self.out_of_scope:
            return [f"in-scope questions      {self.in_scope}", *inside, offered]
        return [f"in-scope questions      {self.in_scope}", f"out-of-scope questions  {self.out_of_scope}", *inside,
                row("out of scope rejected", self.oos_rejected, self.out_of_scope, f"≥ {TARGETS['oos_rejected']:.0%}"),
                offered]


def side_by_side(reports: list[tuple[str, Report]]) -> list[str]:
    """Several FAQs' reports in columns: each figure with its 95% interval, and its target."""
    rows = [("questions in scope / out", lambda r: f"{r.in_scope} / {r.out_of_scope}", "")]

    def rate(name: str) -> object:
        def cell(r: Report) -> str:
            value = getattr(r, name)
            low, high = wilson(value, r.out_of_scope if name == "oos_rejected" else r.in_scope)
            return f"{value:6.1%} ({low:5.1%}–{high:5.1%})"
        return cell

    for name, label in (("top1", "top-1 accuracy"), ("answered_correct", "answered correctly"),
                        ("answered_wrong", "answered wrongly"), ("oos_rejected", "out of scope rejected"),
                        ("answered_or_offered", "answered or offered")):
        sign = "≤" if name == "answered_wrong" else "≥"
        targets = " / ".join(dict.fromkeys(f"{sign} {t[name]:.0%}" for t in (SPARSE_TARGETS, TARGETS)
                                           if name in t))
        rows.append((label, rate(name), targets))
    width = 26
    lines = [f"{'':{width}}" + "".join(f"{faq:<24}" for faq, _ in reports) + "target"]
    for label, cell, target in rows:
        lines.append(f"{label:{width}}" + "".join(f"{cell(r):<24}" for _, r in reports)  # type: ignore[operator]
                     + target)
    return lines


def wilson(rate: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion: with 135 questions, one question is 0.7 points and
    the interval around 90% is about ±5, which is how far apart two sets can honestly differ."""
    if n == 0:
        return 0.0, 1.0
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def evaluate(matcher: FaqMatcher, cases: list[Case]) -> Report:
    """Run every case through the matcher and count."""
    inside = [c for c in cases if c.expected]
    outside = [c for c in cases if not c.expected]
    top1 = correct = wrong = rejected = offered = 0
    misses = []
    for case in inside:
        m = matcher.match(case.question)
        top = m.nearest_faq_id
        top1 += top == case.expected
        correct += m.answered and m.faq_id == case.expected
        wrong += m.answered and m.faq_id != case.expected
        # Not answered, but the "did you mean" card lists the right entry: one click away.
        offered += not m.answered and any(c.faq_id == case.expected for c in m.suggestions)
        if not (m.answered and m.faq_id == case.expected):
            misses.append(f"{case.expected} got {top} p={m.score:.2f} answered={m.answered}: {case.question}")
    for case in outside:
        m = matcher.match(case.question)
        rejected += not m.answered
        if m.answered:
            misses.append(f"OOS answered {m.faq_id} p={m.score:.2f}: {case.question}")
    n, o = max(1, len(inside)), max(1, len(outside))
    return Report(len(inside), len(outside), top1 / n, correct / n, wrong / n, rejected / o, misses,
                  (correct + offered) / n)


def with_picks(matcher: FaqMatcher, entries: list[FaqEntry], cases: list[Case]) -> tuple[list[FaqEntry], int]:
    """The FAQ as `dx-bot faq alternates` would grow it: each question the matcher asked back with
    the right entry among the candidates (a person picks it) becomes an alternate of that entry.
    Also how many did."""
    picks: dict[str, list[str]] = {}
    for case in cases:
        if case.expected:
            m = matcher.match(case.question)
            if not m.answered and any(c.faq_id == case.expected for c in m.suggestions):
                picks.setdefault(case.expected, []).append(case.question)
    grown = [replace(e, alternate_questions=(*e.alternate_questions, *picks.get(e.faq_id, []))) for e in entries]
    return grown, sum(map(len, picks.values()))


def _leave_one_question_out(entries: list[FaqEntry]) -> list[tuple[list[FaqEntry], Case]]:
    """Each of an entry's own questions, asked of an FAQ whose entry lacks it: more development
    questions that nobody on this project wrote, phrased as the division phrases them."""
    out = []
    for entry in entries:
        texts = [entry.question, *entry.alternate_questions]
        for i, text in enumerate(texts):
            rest = texts[:i] + texts[i + 1:]
            if not rest:
                continue
            smaller = replace(entry, question=rest[0], alternate_questions=tuple(rest[1:]))
            out.append(([smaller if e is entry else e for e in entries], Case(text, entry.faq_id)))
    return out


def training_rows(entries: list[FaqEntry], analyzer: Analyzer, cases: list[Case],
                  encoder: SentenceEncoder | None, *, own_wordings: bool = True,
                  ) -> list[tuple[str | None, tuple[float, ...], float]]:
    """Rows for the logistic regression of "this candidate is right" on `Similarity.features`,
    over every candidate the matcher looks at, so the model learns to rank as well as to doubt:
    (the dev question a row comes from, or None for the FAQ's own questions; features; label).

    Questions are the dev cases; each in-scope one is also asked of an FAQ without its entry
    (every candidate is then a near miss, the hardest negative), and each FAQ question of an FAQ
    without that question (leave one out; `own_wordings=False` leaves those rows out).
    """
    groups: list[tuple[list[FaqEntry], list[Case], bool]] = [(entries, cases, True)]
    for held_out in sorted({c.expected for c in cases if c.expected}):
        groups.append(([e for e in entries if e.faq_id != held_out],
                       [Case(c.question, None) for c in cases if c.expected == held_out], True))
    if own_wordings:
        groups += [(smaller, [case], False) for smaller, case in _leave_one_question_out(entries)]
    rows: list[tuple[str | None, tuple[float, ...], float]] = []
    for group_entries, group_cases, from_dev in groups:
        matcher = FaqMatcher(group_entries, analyzer, encoder)
        for case in group_cases:
            sim = matcher.similarity(case.question, limit=None)
            rows += [(case.question if from_dev else None, (1.0, *sim.features(i)),
                      1.0 if faq_id == case.expected else 0.0) for i, faq_id in enumerate(sim.ids)]
    return rows


def fit(entries: list[FaqEntry], analyzer: Analyzer, cases: list[Case],
        encoder: SentenceEncoder | None) -> tuple[float, ...]:
    """Weights for bot/faq/matcher.py, fitted on every row of `training_rows`."""
    return _newton([(x, y) for _, x, y in training_rows(entries, analyzer, cases, encoder)])


ENGLISH = DATA / "english_eval.toml"


def english_cases(split: str) -> list[Case]:
    """English questions against the rich FAQ (english_eval.toml's `dev` or `test`)."""
    data = tomllib.loads(ENGLISH.read_text("utf-8"))
    return [Case(q, faq_id) for faq_id, questions in data[split].items() for q in questions]


def fit_english(analyzer: Analyzer, encoder: SentenceEncoder, size: int = 45) -> tuple[float, ...]:
    """Weights for an English question: meaning alone (its words are not the FAQ's), fitted on
    the English dev questions, each also asked of an FAQ without its entry; as a full weight
    vector with the word features at zero."""
    rows = training_rows(load_faq("rich", size), analyzer, english_cases("dev"), encoder, own_wordings=False)
    words = len(FEATURES)  # the features before meaning's, all at zero
    meaning = _newton([((x[0], *x[1 + words:]), y) for _, x, y in rows])
    return (meaning[0], *[0.0] * words, *meaning[1:])


def joint_rows(analyzer: Analyzer, encoder: SentenceEncoder | None, faqs: tuple[str, ...] = FAQS,
               size: int = 45) -> list[tuple[str | None, tuple[float, ...], float]]:
    """Training rows of several FAQs together (each with its own dev questions), so that one
    threshold means the same on an FAQ written once per entry and on one with many wordings.
    Questions are tagged with their FAQ, so cross-validation folds keep them apart."""
    rows: list[tuple[str | None, tuple[float, ...], float]] = []
    for faq in faqs:
        entries = load_faq(faq, size)
        cases = load_cases("dev", faq)
        rows += [(f"{faq}|{q}" if q is not None else None, x, y)
                 for q, x, y in training_rows(entries, analyzer, cases, encoder, own_wordings=faq == "rich")]
    return rows


def joint_cross_validate(analyzer: Analyzer, encoder: SentenceEncoder | None, folds: int = 4,
                         faqs: tuple[str, ...] = FAQS, size: int = 45) -> list[tuple[str, Report]]:
    """Each FAQ's dev questions scored by joint weights fitted without them (4 folds)."""
    rows = joint_rows(analyzer, encoder, faqs, size)

    def fold(tagged: str) -> int:
        return zlib.crc32(tagged.encode()) % folds

    parts: dict[str, list[Report]] = {faq: [] for faq in faqs}
    for k in range(folds):
        weights = _newton([(x, y) for q, x, y in rows if q is None or fold(q) != k])
        for faq in faqs:
            matcher = FaqMatcher(load_faq(faq, size), analyzer, encoder, calibration=weights)
            held = [c for c in load_cases("dev", faq) if fold(f"{faq}|{c.question}") == k]
            parts[faq].append(evaluate(matcher, held))
    return [(faq, _pooled(parts[faq])) for faq in faqs]


def cross_validate(entries: list[FaqEntry], analyzer: Analyzer, cases: list[Case],
                   encoder: SentenceEncoder | None, folds: int = 4) -> Report:
    """Each dev question scored by weights fitted without it (nor the rows made from it): how
    the fit does on phrasings it has not seen, without touching the held-out set."""
    rows = training_rows(entries, analyzer, cases, encoder)
    fold_of = {c.question: zlib.crc32(c.question.encode()) % folds for c in cases}
    parts = []
    for k in range(folds):
        weights = _newton([(x, y) for q, x, y in rows if q is None or fold_of[q] != k])
        matcher = FaqMatcher(entries, analyzer, encoder, calibration=weights)
        parts.append(evaluate(matcher, [c for c in cases if fold_of[c.question] == k]))
    return _pooled(parts)


def leave_one_out(entries: list[FaqEntry], analyzer: Analyzer, cases: list[Case],
                  encoder: SentenceEncoder | None) -> Report:
    """Each FAQ wording asked of an FAQ whose entry lacks it, scored by weights fitted on the dev
    questions' rows alone (the fit's own leave-one-out rows would have seen the answer)."""
    rows = training_rows(entries, analyzer, cases, encoder, own_wordings=False)
    weights = _newton([(x, y) for _, x, y in rows])
    return _pooled([evaluate(FaqMatcher(smaller, analyzer, encoder, calibration=weights), [case])
                    for smaller, case in _leave_one_question_out(entries)])


def _pooled(parts: list[Report]) -> Report:
    """One report of several disjoint ones."""
    n = sum(p.in_scope for p in parts)
    o = sum(p.out_of_scope for p in parts)

    def inside(rate: str) -> float:
        return sum(getattr(p, rate) * p.in_scope for p in parts) / max(1, n)

    return Report(n, o, inside("top1"), inside("answered_correct"), inside("answered_wrong"),
                  sum(p.oos_rejected * p.out_of_scope for p in parts) / max(1, o),
                  [m for p in parts for m in p.misses], inside("answered_or_offered"))


def _newton(rows: list[tuple[tuple[float, ...], float]], l2: float = 1e-3) -> tuple[float, ...]:
    """Logistic regression by Newton's method; a little L2 on the slopes keeps the fit from
    chasing a perfectly separable development set."""
    d = len(rows[0][0])
    w = [0.0] * d
    for _ in range(50):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y in rows:
            p = calibrate(x[1:], w)
            for i in range(d):
                grad[i] += (p - y) * x[i]
                for j in range(d):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(1, d):
            grad[i] += l2 * len(rows) * w[i]
            hess[i][i] += l2 * len(rows)
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(map(abs, step)) < 1e-7:
            break
    return tuple(round(v, 2) for v in w)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b (Gauss–Jordan with partial pivoting; a is small and well-conditioned)."""
    n = len(b)
    m = [row[:] + [v] for row, v in zip(a, b)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[pivot] = m[pivot], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def open_eval_encoder(kind: str) -> SentenceEncoder | None:
    """The encoder to evaluate with; vectors cached in .cache/ (as the tests do) so reruns take seconds."""
    from tests.conftest import EMBEDDING_CACHE

    return open_encoder(kind, EMBEDDING_CACHE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bot.faq_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=list(SPLITS), default="test")
    parser.add_argument("--faq", choices=[*FAQS, "both"], default="both",
                        help="which FAQ to score (both: the sparse and the rich one side by side)")
    parser.add_argument("--fit", action="store_true", help="refit the calibration on dev")
    parser.add_argument("--cv", type=int, metavar="K",
                        help="score dev by K-fold cross-validation of the fit "
                             "(each question by weights fitted without it)")
    parser.add_argument("--leave-one-out", action="store_true",
                        help="ask each FAQ wording of an FAQ without it (weights fitted on dev questions only)")
    parser.add_argument("--show-misses", action="store_true", help="list mistakes (dev only)")
    parser.add_argument("--fit-english", action="store_true",
                        help="fit the meaning-only weights for English questions on english_eval.toml's dev")
    parser.add_argument("--english", action="store_true",
                        help="score the English questions (english_eval.toml) against the rich FAQ")
    parser.add_argument("--with-picks", action="store_true",
                        help="score after the dev questions' \"did you mean\" picks are added as alternates")
    parser.add_argument("--encoder", choices=["e5", "none"], default="e5",
                        help="sentence encoder (default e5, as the bot; none: words only)")
    parser.add_argument("--entries", type=int, default=45,
                        help="pad the FAQ with generated entries to this many (calibration across sizes)")
    args = parser.parse_args(argv)
    from benchmarks.faq_corpus import padded_faq

    entries, analyzer = padded_faq(max(45, args.entries)), Analyzer(Synonyms.load())
    encoder = open_eval_encoder(args.encoder)
    if args.encoder != "none" and encoder is None:
        print(f"the {args.encoder} encoder did not load; figures would be words-only", file=sys.stderr)
        return 2
    if args.fit or args.cv or args.leave_one_out:
        # Fitting analyses each FAQ wording once per leave-one-out FAQ: remember the analyses.
        analyzer.features = functools.lru_cache(maxsize=None)(analyzer.features)  # type: ignore[method-assign]
    matcher = FaqMatcher(entries, analyzer, encoder)
    if args.cv and args.faq == "both":
        scored = joint_cross_validate(analyzer, encoder, args.cv, size=args.entries)
        print(f"{args.cv}-fold cross-validation of the joint fit on every FAQ's dev questions (encoder {args.encoder})")
        print("\n".join(side_by_side(scored)))
        return 0
    if args.cv:
        if args.split not in ("dev", "dev1", "dev2"):
            print("--cv scores development questions only", file=sys.stderr)
            return 2
        report = cross_validate(entries, analyzer, load_cases(args.split), encoder, args.cv)
        print(f"{args.cv}-fold cross-validation of the fit on the {args.split} split "
              f"({len(matcher)} FAQ entries, encoder {args.encoder})")
        print("\n".join(report.lines()))
        return 0
    if args.leave_one_out:
        report = leave_one_out(entries, analyzer, load_cases("dev"), encoder)
        print(f"each of the FAQ's own wordings asked of an FAQ without it ({len(matcher)} FAQ entries, "
              f"encoder {args.encoder}; weights fitted on the dev questions)")
        print("\n".join(report.lines()))
        return 0
    if args.fit_english:
        if encoder is None:
            print("English questions are matched by meaning: use the e5 encoder", file=sys.stderr)
            return 2
        print(f"CALIBRATION_ENGLISH = {fit_english(analyzer, encoder, args.entries)}")
        return 0
    if args.english:
        if args.split not in ("dev", "test"):
            print("the English questions have the dev and test splits", file=sys.stderr)
            return 2
        report = evaluate(FaqMatcher(load_faq("rich", args.entries), analyzer, encoder), english_cases(args.split))
        print(f"English questions, {args.split} split, against the rich FAQ (encoder {args.encoder})")
        print("\n".join(report.lines()))
        if args.show_misses and args.split == "dev":
            print("\n".join(report.misses))
        return 0
    if args.fit and args.faq == "both":
        weights = _newton([(x, y) for _, x, y in joint_rows(analyzer, encoder, size=args.entries)])
        name = "CALIBRATION" if encoder is None else "CALIBRATION_WITH_MEANING"
        print(f"{name} = {weights}  # fitted on every FAQ's dev questions together")
        return 0
    if args.fit:
        weights = fit(entries, analyzer, load_cases("dev"), encoder)
        name = "CALIBRATION" if encoder is None else "CALIBRATION_WITH_MEANING"
        print(f"{name} = {weights}  # was {CALIBRATION if encoder is None else CALIBRATION_WITH_MEANING}")
        return 0
    if args.faq != "rich":
        if args.split not in ("dev", "test", "all"):
            print(f"the sparse FAQ has the dev, test and all splits; use --faq rich for {args.split}",
                  file=sys.stderr)
            return 2
        faqs = ["sparse", "rich"] if args.faq == "both" else [args.faq]
        scored = []
        for faq in faqs:
            es = load_faq(faq, args.entries)
            label = f"{faq} ({len(es)})"
            if args.with_picks:
                es, n = with_picks(FaqMatcher(es, analyzer, encoder), es, load_cases("dev", faq))
                label = f"{faq} +{n} picks"
            scored.append((label, evaluate(FaqMatcher(es, analyzer, encoder), load_cases(args.split, faq))))
        print(f"FAQ matcher on the {args.split} split (encoder {args.encoder}; entries in brackets)")
        print("\n".join(side_by_side(scored)))
        if args.show_misses and args.split == "dev":
            for label, report in scored:
                print(f"-- {label}\n" + "\n".join(report.misses))
        met = all(r.meets_targets(SPARSE_TARGETS if label.startswith(("sparse", "seed-sparse")) else TARGETS)
                  for label, r in scored)
        return 0 if met else 1
    report = evaluate(matcher, load_cases(args.split))
    print(f"FAQ matcher on the {args.split} split ({len(matcher)} FAQ entries, encoder {args.encoder})")
    print("\n".join(report.lines()))
    if args.show_misses:
        if TEST in SPLITS[args.split]:
            print("misses are shown for the dev split only", file=sys.stderr)
            return 2
        print("\n".join(report.misses))
    return 0 if report.meets_targets() else 1


if __name__ == "__main__":
    raise SystemExit(main())
