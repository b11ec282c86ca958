"""The FAQ matcher: how staff type, what it must not answer, and its figures on held-out questions."""

from __future__ import annotations

import pytest

from bot.faq.analyzer import Analyzer
from bot.faq.importer import FaqEntry, seed_entries
from bot.faq.matcher import ANSWER_THRESHOLD, FaqMatcher
from bot.faq.text import Synonyms
from tests.bot import faq_eval


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Synonyms.load())


@pytest.fixture(scope="module")
def matcher(analyzer: Analyzer) -> FaqMatcher:
    return FaqMatcher(seed_entries(), analyzer)


def entry(faq_id: str, question: str, *alternates: str, answer: str = "回答です。") -> FaqEntry:
    return FaqEntry(faq_id, question, alternates, answer, None, None, None)


def test_okurigana_and_inflections_meet(analyzer: Analyzer) -> None:
    words = analyzer.words("申し込みの期限")
    assert analyzer.words("申込の期限") == words == analyzer.words("申込みの期限")
    assert analyzer.words("ファイルを消しちゃった") == analyzer.words("ファイルを消す")


@pytest.mark.parametrize("typed", ["パワーアップス", "ﾊﾟﾜｰｱｯﾌﾟｽ", "Power Apps", "ＰＯＷＥＲ ＡＰＰＳ", "パワアプ"])
def test_product_names_in_any_script_are_one_word(analyzer: Analyzer, typed: str) -> None:
    assert "w:powerapps" in analyzer.features(f"{typed}の使い方")


def test_long_vowel_marks_do_not_matter(analyzer: Analyzer) -> None:
    assert analyzer.features("サーバーのエラー") == analyzer.features("サーバのエラ")


def test_the_right_entry_wins_among_neighbours(analyzer: Analyzer) -> None:
    m = FaqMatcher([
        entry("A", "Teamsの会議を録画するには？"),
        entry("B", "Teamsの通知を減らしたい"),
        entry("C", "SharePointのリストを作るには？"),
    ], analyzer)
    result = m.match("チームズでミーティングのレコーディングをしたい")
    assert result.candidates[0].faq_id == "A"
    assert m.match("シェアポイントでリストを作成したい").candidates[0].faq_id == "C"


def test_a_question_about_something_else_is_not_answered(matcher: FaqMatcher) -> None:
    for question in ["粗大ごみの出し方", "児童手当の申請方法は？", "しりとりしよう"]:
        result = matcher.match(question)
        assert not result.answered and result.faq_id is None, question


def test_empty_and_symbol_only_questions_are_not_answered(matcher: FaqMatcher) -> None:
    for question in ["", "？？？", "!!!"]:
        result = matcher.match(question)
        assert not result.answered and result.score < ANSWER_THRESHOLD


def test_close_entries_both_come_out_unsure(analyzer: Analyzer) -> None:
    twins = FaqMatcher([
        entry("A", "eラーニングの受講期限はいつ？"),
        entry("B", "eラーニングの受講期限はいつまで？"),
        entry("C", "会議を録画したい"),
    ], analyzer)
    result = twins.match("eラーニングの受講期限")
    assert not result.answered
    assert {c.faq_id for c in result.suggestions} >= {"A", "B"}


def test_scores_mean_the_same_with_a_thousand_entries(analyzer: Analyzer) -> None:
    """One threshold for 45 entries and for 1,000: padding the FAQ barely moves the figures."""
    from benchmarks.faq_corpus import padded_faq

    small = faq_eval.evaluate(FaqMatcher(seed_entries(), analyzer), faq_eval.load_cases("dev"))
    large = faq_eval.evaluate(FaqMatcher(padded_faq(1000), analyzer), faq_eval.load_cases("dev"))
    assert large.answered_wrong <= 0.03
    assert large.oos_rejected >= small.oos_rejected - 0.06
    assert large.answered_correct >= small.answered_correct - 0.08


def test_held_out_figures_do_not_regress(matcher: FaqMatcher) -> None:
    """Regression guard at the figures measured when the matcher was tuned (README has them).

    The issue's targets (97 / 93 / ≤2 / 90) are printed by `python -m tests.bot.faq_eval`; the
    held-out split does not reach all of them yet, and this test must not pretend it does.
    """
    report = faq_eval.evaluate(matcher, faq_eval.load_cases("test"))
    assert report.in_scope >= 85 and report.out_of_scope >= 15
    assert report.top1 >= 0.96
    assert report.answered_correct >= 0.88
    assert report.answered_wrong <= 0.02
    assert report.oos_rejected >= 0.90
