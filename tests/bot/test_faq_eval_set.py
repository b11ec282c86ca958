"""The FAQ evaluation sets stay honest: complete, big enough, and never copied from the FAQ."""

from __future__ import annotations

import tomllib

import pytest

from bot.faq.entry import seed_entries
from bot.faq.text import Synonyms, normalise
from tests.bot.faq_eval import EVAL, EVAL2, TEST


def _load(path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _questions(data: dict) -> list[str]:
    return [q for qs in data["in_scope"].values() for q in qs] + data["out_of_scope"]["questions"]


@pytest.mark.parametrize("path, per_entry, in_scope_total", [(EVAL, 3, 150), (EVAL2, 4, 180), (TEST, 3, 135)])
def test_an_evaluation_set_covers_every_entry_and_copies_none(path, per_entry, in_scope_total) -> None:
    data = _load(path)
    seed = {e.faq_id: e for e in seed_entries()}
    in_scope = data["in_scope"]
    assert set(in_scope) == set(seed)
    assert sum(len(qs) for qs in in_scope.values()) >= in_scope_total
    assert all(len(qs) >= per_entry for qs in in_scope.values())
    assert len(data["out_of_scope"]["questions"]) >= 30
    synonyms = Synonyms.load()
    for faq_id, questions in in_scope.items():
        known = {normalise(q, synonyms) for q in [seed[faq_id].question, *seed[faq_id].alternate_questions]}
        for q in questions:
            assert normalise(q, synonyms) not in known, (faq_id, q)
    everything = _questions(data)
    assert len(everything) == len(set(everything))


def test_the_held_out_set_shares_no_question_with_the_development_sets() -> None:
    # A failure lists only questions that are in a development file too, so nothing held out leaks.
    synonyms = Synonyms.load()
    dev = {normalise(q, synonyms) for path in (EVAL, EVAL2) for q in _questions(_load(path))}
    assert not [q for q in _questions(_load(TEST)) if normalise(q, synonyms) in dev]


def test_no_off_topic_reference_sentence_is_an_evaluation_question() -> None:
    # The matcher measures meaning against bot/faq/off_topic.txt; an evaluation question in it
    # would be rejected for having been seen, not for being off topic. A failure lists only the
    # reference sentences (never a held-out question that is not one of them).
    from bot.faq.matcher import off_topic_sentences

    synonyms = Synonyms.load()
    asked = {normalise(q, synonyms) for path in (EVAL, EVAL2, TEST) for q in _questions(_load(path))}
    assert len(off_topic_sentences()) >= 100
    assert not [s for s in off_topic_sentences() if normalise(s, synonyms) in asked]


def test_the_scorer_reports_a_95_percent_interval() -> None:
    from tests.bot.faq_eval import wilson

    low, high = wilson(0.5, 100)
    assert round(low, 3) == 0.404 and round(high, 3) == 0.596
    assert wilson(1.0, 30)[1] == 1.0 and 0.88 < wilson(1.0, 30)[0] < 0.89


def test_cross_validation_pools_its_folds_by_question_count() -> None:
    from tests.bot.faq_eval import Report, _pooled

    # 3 of 4 and 1 of 2 in scope answered correctly: 4 of 6 overall, not the mean of 75% and 50%.
    pooled = _pooled([Report(4, 1, 1.0, 0.75, 0.25, 1.0, ["a"], 0.75),
                      Report(2, 3, 0.5, 0.5, 0.0, 2 / 3, ["b"], 1.0)])
    assert (pooled.in_scope, pooled.out_of_scope) == (6, 4)
    assert round(pooled.top1, 4) == round(5 / 6, 4) and round(pooled.answered_correct, 4) == round(4 / 6, 4)
    assert round(pooled.answered_wrong, 4) == round(1 / 6, 4) and pooled.oos_rejected == 0.75
    assert round(pooled.answered_or_offered, 4) == round(5 / 6, 4) and pooled.misses == ["a", "b"]


def test_leave_one_out_asks_every_wording_of_an_faq_without_it() -> None:
    from bot.faq.analyzer import Analyzer
    from tests.bot.faq_eval import leave_one_out, load_cases

    faq = seed_entries()[:8]  # a small FAQ keeps this quick; words only for the same reason
    ids = {e.faq_id for e in faq}
    dev = [c for c in load_cases("dev") if c.expected in ids or c.expected is None]
    report = leave_one_out(faq, Analyzer(Synonyms.load()), dev, None)
    wordings = sum(1 + len(e.alternate_questions) for e in faq)
    assert (report.in_scope, report.out_of_scope) == (wordings, 0)
    # Each wording still has its siblings to be found by: mostly found, rarely answered wrongly.
    assert report.top1 >= 0.8 and report.answered_wrong <= 0.05, report


@pytest.mark.parametrize("faq", ["sparse", "sparse2", "sparse3"])
def test_each_sparse_faq_and_its_questions_are_what_a_division_starts_from(faq: str) -> None:
    """One wording an entry (an alternate or two on a few at most), 30–50 entries, questions for
    every entry that copy none of its wordings, and a held-out file that shares nothing with dev."""
    from tests.bot.faq_eval import SPARSE, load_faq

    synonyms = Synonyms.load()
    entries = load_faq(faq)
    assert 30 <= len(entries) <= 50 and all(len(e.alternate_questions) <= 2 for e in entries)
    assert sum(bool(e.alternate_questions) for e in entries) <= len(entries) // 5
    by_id = {e.faq_id: e for e in entries}
    seen: set[str] = set()
    for split, paths in SPARSE[faq][1].items():
        [path] = paths
        data = _load(path)
        assert set(data["in_scope"]) == set(by_id) and len(data["out_of_scope"]["questions"]) >= 15
        for faq_id, questions in data["in_scope"].items():
            assert len(questions) >= (3 if split == "dev" else 2)
            known = {normalise(q, synonyms) for q in (by_id[faq_id].question, *by_id[faq_id].alternate_questions)}
            assert not [q for q in questions if normalise(q, synonyms) in known], faq_id
        asked = {normalise(q, synonyms) for q in _questions(data)}
        assert not asked & seen  # the held-out file shares no question with the development one
        seen |= asked


def test_picks_grow_each_entry_by_the_questions_asked_back_with_it() -> None:
    """`faq_eval --with-picks`: what `dx-bot faq alternates` would add after people pick."""
    from bot.faq.analyzer import Analyzer
    from bot.faq.matcher import FaqMatcher
    from tests.bot.faq_eval import load_cases, load_faq, with_picks

    entries, cases = load_faq("sparse"), load_cases("dev", "sparse")
    matcher = FaqMatcher(entries, Analyzer(Synonyms.load()))
    grown, n = with_picks(matcher, entries, cases)
    expected = {c.question: c.expected for c in cases}
    added = [(e.faq_id, w) for before, e in zip(entries, grown)
             for w in e.alternate_questions[len(before.alternate_questions):]]
    assert len(added) == n > 0
    for faq_id, wording in added:
        m = matcher.match(wording)
        assert expected[wording] == faq_id and not m.answered and faq_id in {c.faq_id for c in m.suggestions}
