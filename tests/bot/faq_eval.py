"""Scores the FAQ matcher on the evaluation set: `python -m tests.bot.faq_eval [--split test]`.

The set (tests/bot/data/faq_eval.toml) is split in two by a hash of each question: tune on
`dev`, report `test`, which nothing was tuned on. `fresh` (tests/bot/data/faq_eval_fresh.toml)
is a second held-out set, written later and whole, after `test` had been measured several
times. `--fit` refits the calibration on dev and prints the weights to paste into
bot/faq/matcher.py. `--show-misses` lists dev mistakes only (looking at held-out mistakes would
turn them into dev).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.faq.analyzer import Analyzer
from bot.faq.importer import FaqEntry, seed_entries
from bot.faq.matcher import CALIBRATION, FaqMatcher, calibrate
from bot.faq.text import Synonyms

EVAL = Path(__file__).parent / "data" / "faq_eval.toml"
FRESH = Path(__file__).parent / "data" / "faq_eval_fresh.toml"
TARGETS = {"top1": 0.97, "answered_correct": 0.93, "answered_wrong": 0.02, "oos_rejected": 0.90}


def _hash(question: str) -> bytes:
    return hashlib.sha256(question.encode("utf-8")).digest()


def split_group(questions: list[str]) -> dict[str, str]:
    """`dev` or `test` for each question of one group (one FAQ entry, or out of scope).

    Ordered by a hash of the text and alternated, so each entry and the out-of-scope set are
    halved evenly, and the assignment never depends on the matcher.
    """
    ordered = sorted(questions, key=_hash)
    return {q: ("dev" if i % 2 == 0 else "test") for i, q in enumerate(ordered)}


@dataclass(frozen=True)
class Case:
    question: str
    expected: str | None  # None: out of scope


def _groups(path: Path) -> list[tuple[str | None, list[str]]]:
    """(expected FAQ id, or None for out of scope; its questions) of one evaluation file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [*data["in_scope"].items(), (None, data["out_of_scope"]["questions"])]


def load_cases(split: str | None) -> list[Case]:
    """Cases of one split: `dev`, `test`, `fresh`, or None for dev and test together."""
    if split == "fresh":
        return [Case(q, expected) for expected, questions in _groups(FRESH) for q in questions]
    cases = []
    for expected, questions in _groups(EVAL):
        splits = split_group(questions)
        cases += [Case(q, expected) for q in questions if split is None or splits[q] == split]
    return cases


@dataclass(frozen=True)
class Report:
    in_scope: int
    out_of_scope: int
    top1: float
    answered_correct: float
    answered_wrong: float
    oos_rejected: float
    misses: list[str]

    def meets_targets(self) -> bool:
        return (self.top1 >= TARGETS["top1"] and self.answered_correct >= TARGETS["answered_correct"]
                and self.answered_wrong <= TARGETS["answered_wrong"]
                and self.oos_rejected >= TARGETS["oos_rejected"])

    def lines(self) -> list[str]:
        return [
            f"in-scope questions      {self.in_scope}",
            f"out-of-scope questions  {self.out_of_scope}",
            f"top-1 accuracy          {self.top1:6.1%}  (target ≥ {TARGETS['top1']:.0%})",
            f"answered correctly      {self.answered_correct:6.1%}  (target ≥ {TARGETS['answered_correct']:.0%})",
            f"answered wrongly        {self.answered_wrong:6.1%}  (target ≤ {TARGETS['answered_wrong']:.0%})",
            f"out of scope rejected   {self.oos_rejected:6.1%}  (target ≥ {TARGETS['oos_rejected']:.0%})",
        ]


def evaluate(matcher: FaqMatcher, cases: list[Case]) -> Report:
    """Run every case through the matcher and count."""
    inside = [c for c in cases if c.expected]
    outside = [c for c in cases if not c.expected]
    top1 = correct = wrong = rejected = 0
    misses = []
    for case in inside:
        m = matcher.match(case.question)
        top = m.candidates[0].faq_id if m.candidates else None
        top1 += top == case.expected
        correct += m.answered and m.faq_id == case.expected
        wrong += m.answered and m.faq_id != case.expected
        if not (m.answered and m.faq_id == case.expected):
            misses.append(f"{case.expected} got {top} p={m.score:.2f} answered={m.answered}: {case.question}")
    for case in outside:
        m = matcher.match(case.question)
        rejected += not m.answered
        if m.answered:
            misses.append(f"OOS answered {m.faq_id} p={m.score:.2f}: {case.question}")
    n, o = max(1, len(inside)), max(1, len(outside))
    return Report(len(inside), len(outside), top1 / n, correct / n, wrong / n, rejected / o, misses)


def fit(entries: list[FaqEntry], analyzer: Analyzer, cases: list[Case]) -> tuple[float, ...]:
    """Logistic regression of "the top entry is right" on `Similarity.features`.

    Besides the out-of-scope questions, every in-scope question is also asked once of an FAQ
    without its entry: the nearest wrong entry then looks like a real near miss, the hardest
    kind of negative, and there are as many of them as there are questions.
    """
    matcher = FaqMatcher(entries, analyzer)
    rows: list[tuple[tuple[float, ...], float]] = []
    for case in cases:
        sim = matcher.similarity(case.question)
        if sim.ranked:
            right = sim.ranked[0][0] == case.expected
            rows.append(((1.0, *sim.features(0)), 1.0 if right else 0.0))
    for held_out in {c.expected for c in cases if c.expected}:
        without = FaqMatcher([e for e in entries if e.faq_id != held_out], analyzer)
        for case in cases:
            if case.expected == held_out:
                sim = without.similarity(case.question)
                if sim.ranked:
                    rows.append(((1.0, *sim.features(0)), 0.0))
    w = [0.0] * len(rows[0][0])
    rate = 0.5
    for _ in range(20000):
        grad = [0.0] * len(w)
        for x, y in rows:
            error = calibrate(x[1:], w) - y
            for k, v in enumerate(x):
                grad[k] += error * v
        # A little L2 on the slopes keeps the fit from chasing a perfectly separable dev split.
        w = [wk - rate * (g / len(rows) + (1e-3 * wk if k else 0.0))
             for k, (wk, g) in enumerate(zip(w, grad))]
    return tuple(round(v, 2) for v in w)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bot.faq_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test", "fresh", "all"], default="test")
    parser.add_argument("--fit", action="store_true", help="refit the calibration on dev")
    parser.add_argument("--show-misses", action="store_true", help="list mistakes (dev only)")
    args = parser.parse_args(argv)
    entries, analyzer = seed_entries(), Analyzer(Synonyms.load())
    matcher = FaqMatcher(entries, analyzer)
    if args.fit:
        weights = fit(entries, analyzer, load_cases("dev"))
        print(f"CALIBRATION = {weights}  # was {CALIBRATION}")
        return 0
    split = None if args.split == "all" else args.split
    report = evaluate(matcher, load_cases(split))
    print(f"FAQ matcher on the {args.split} split ({len(matcher)} FAQ entries)")
    print("\n".join(report.lines()))
    if args.show_misses:
        if args.split != "dev":
            print("misses are shown for the dev split only", file=sys.stderr)
            return 2
        print("\n".join(report.misses))
    return 0 if report.meets_targets() else 1


if __name__ == "__main__":
    raise SystemExit(main())
