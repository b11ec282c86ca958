"""The FAQ matcher: how staff type, what it must not answer, and its figures on held-out questions."""

from __future__ import annotations

import pytest

from bot.faq.analyzer import Analyzer
from bot.faq.encoder import SentenceEncoder
from bot.faq.entry import FaqEntry, seed_entries
from bot.faq.matcher import FEATURES, FaqMatcher
from bot.faq.text import Synonyms
from tests.bot import faq_eval


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Synonyms.load())


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    loaded = faq_eval.open_eval_encoder("e5")
    # The product falls back to words when the encoder cannot load; a test must not.
    assert loaded is not None, "the e5 sentence encoder did not load (see the error logged above)"
    return loaded


@pytest.fixture(scope="module", params=["words", "meaning"])
def matcher(request: pytest.FixtureRequest, analyzer: Analyzer) -> FaqMatcher:
    """The seed FAQ, words only and with the encoder the bot uses by default."""
    encoder = request.getfixturevalue("encoder") if request.param == "meaning" else None
    return FaqMatcher(seed_entries(), analyzer, encoder)


def entry(faq_id: str, question: str, *alternates: str, answer: str = "回答です。") -> FaqEntry:
    return FaqEntry(faq_id, question, alternates, answer, None, None, None)


def test_okurigana_and_inflections_meet(analyzer: Analyzer) -> None:
    words = analyzer.words("申し込みの期限")
    assert analyzer.words("申込の期限") == words == analyzer.words("申込みの期限")
    assert analyzer.words("ファイルを消しちゃった") == analyzer.words("ファイルを消す")


@pytest.mark.parametrize("typed", ["パワーアップス", "ﾊﾟﾜｰｱｯﾌﾟｽ", "Power Apps", "ＰＯＷＥＲ ＡＰＰＳ", "パワアプ"])
def test_product_names_in_any_script_are_one_word(analyzer: Analyzer, typed: str) -> None:
    assert "w:powerapps" in analyzer.features(f"{typed}の使い方")


def test_a_compound_also_counts_as_its_parts(analyzer: Analyzer) -> None:
    # Staff write 相談窓口 where the FAQ says 相談; 締切日 where it says 締め切り (→ 期限).
    assert {"相談窓口", "相談", "窓口"} <= set(analyzer.words("相談窓口はどこ"))
    assert "期限" in analyzer.words("締切日") and "日" not in analyzer.words("締切日")  # no lone affixes


@pytest.mark.parametrize("greeting", ["お疲れ様です。", "すみません、", "おつかれさまです！", "質問です。"])
def test_greetings_change_neither_the_entry_nor_its_score(matcher: FaqMatcher, greeting: str) -> None:
    plain = matcher.match("削除したファイルを元に戻したい")
    polite = matcher.match(f"{greeting}削除したファイルを元に戻したい。よろしくお願いします")
    assert plain.answered and (polite.faq_id, polite.score) == (plain.faq_id, plain.score)
    assert not matcher.match("よろしくお願いします").answered  # nothing but a greeting is not a question


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


def test_an_entry_written_once_is_also_read_as_a_whole_with_its_answer(analyzer: Analyzer) -> None:
    """A division that writes one question an entry says most of what it knows in the answer: a
    question that takes its words from both is told by the whole entry (one of the features)."""
    faq = [entry("A", "公用パソコン・スマートフォンを紛失した",
                 answer="すぐにヘルプデスクに連絡してください。端末の遠隔ロックとデータの消去を行います。"),
           entry("B", "公用スマートフォンの貸与申請",
                 answer="所属長が庁内ポータルの「モバイル端末貸与申請」から申請してください。")]
    sim = FaqMatcher(faq, analyzer).similarity("スマホの遠隔ロックをお願いしたい")
    whole = FEATURES.index("項目全体の単語 whole entry")
    assert sim.ids[0] == "A"
    a, b = sim.features(0), sim.features(1)
    assert a[whole] > b[whole] > 0 and a[whole + 1] == pytest.approx(a[whole] - b[whole])


def test_meaning_finds_paraphrases_that_share_no_word(analyzer: Analyzer, encoder: SentenceEncoder) -> None:
    faq = [entry("A", "間違って削除したファイルを元に戻したい"), entry("B", "Teamsの通知を減らしたい"),
           entry("C", "会議を録画したい"), entry("D", "パスワードを忘れた")]
    words, meaning = FaqMatcher(faq, analyzer), FaqMatcher(faq, analyzer, encoder)
    for question, expected in [("うっかり捨てた書類を取り返せる？", "A"), ("ログインの暗証番号が思い出せない", "D"),
                               ("オンラインの集まりをビデオに撮って残したい", "C")]:
        assert words.match(question).candidates == (), question
        found = meaning.match(question)
        assert found.candidates[0].faq_id == expected, question
        # Nothing in common but meaning is not enough to answer outright.
        assert not found.answered


def test_kana_typing_and_wrong_kanji_read_the_same(analyzer: Analyzer) -> None:
    def readings(text: str) -> set[str]:
        return {f for f in analyzer.features(text) if f.startswith("r:")}

    assert readings("差し戻し") == readings("さしもどし") != set()
    assert readings("既定のブラウザ") == readings("規定のブラウザ")  # a slip of the kanji conversion
    m = FaqMatcher([entry("A", "差し戻しとは何ですか"), entry("B", "承認の手順を知りたい"),
                    entry("C", "締め切りはいつ")], analyzer)
    assert m.match("さしもどしってなんですか").nearest_faq_id == "A"
    assert m.match("しめきりはいつ").nearest_faq_id == "C"


def test_a_product_name_typed_in_hiragana_meets_an_faq_that_writes_it_in_latin(analyzer: Analyzer) -> None:
    """The FAQ writes Power Apps; the synonym file knows パワーアップス, and so ぱわーあっぷす."""
    m = FaqMatcher([entry("A", "Power Appsのライセンスは必要？"), entry("B", "Power BIのライセンスは必要？"),
                    entry("C", "Power Automateのライセンスは必要？")], analyzer)
    assert m.match("ぱわーあっぷすのライセンスいる？").nearest_faq_id == "A"
    assert m.match("ぱわーおーとめいとのライセンスいる？").nearest_faq_id == "C"


class _PlacedVectors:
    """An encoder whose vectors the test places: listed texts get theirs, any other text (the
    off-topic sentences, answers) a random unit vector of its own, nearly orthogonal to the rest."""

    model_id = "placed"

    def __init__(self, placed: dict[str, list[float]], dim: int = 64) -> None:
        self.dim, self.placed = dim, placed

    def encode(self, texts, kind, *, remember=True):
        import zlib

        import numpy as np

        rows = []
        for text in texts:
            if text in self.placed:
                v = np.zeros(self.dim)
                v[:len(self.placed[text])] = self.placed[text]
            else:
                v = np.random.default_rng(zlib.crc32(text.encode())).normal(size=self.dim)
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows, dtype=np.float32)


def test_one_odd_wording_does_not_outweigh_an_entry_whose_wordings_all_fit(analyzer: Analyzer) -> None:
    def at(cos: float) -> list[float]:  # a unit vector at this cosine to the question's
        return [cos, (1 - cos * cos) ** 0.5]

    # A: three wordings, each 0.90 from the question; B: one at 0.97 (closer than any of A's),
    # two at 0.82. No word in common, so meaning alone decides.
    encoder = _PlacedVectors({"質問文": [1.0], "甲一": at(0.9), "甲二": at(0.9), "甲三": at(0.9),
                              "乙一": at(0.97), "乙二": at(0.82), "乙三": at(0.82)})
    m = FaqMatcher([entry("A", "甲一", "甲二", "甲三"), entry("B", "乙一", "乙二", "乙三")], analyzer, encoder)
    assert [c.faq_id for c in m.match("質問文").candidates] == ["A", "B"]


def test_meaning_does_not_care_about_character_width(encoder: SentenceEncoder) -> None:
    half, full, wide = encoder.encode(["ﾊﾟﾜｰｱｯﾌﾟｽ 共有", "パワーアップス 共有", "パワーアップス　共有"], "query",
                                      remember=False)
    assert (half == full).all() and (full == wide).all()


def test_the_encoder_caches_vectors_across_restarts(tmp_path, encoder: SentenceEncoder) -> None:
    from bot.faq.encoder import CachedEncoder

    calls: list[int] = []

    class Counting:
        model_id = encoder.model_id

        def encode(self, texts, kind, remember=True):
            calls.append(len(texts))
            return encoder.encode(texts, kind)

    first = CachedEncoder(Counting(), tmp_path / "vectors.sqlite3")
    vectors = first.encode(["会議を録画したい", "パスワードを忘れた", "会議を録画したい"], "query")
    assert vectors.shape == (3, 384) and (vectors[0] == vectors[2]).all()
    assert calls == [2]
    again = CachedEncoder(Counting(), tmp_path / "vectors.sqlite3").encode(["パスワードを忘れた"], "query")
    assert calls == [2] and (again[0] == vectors[1]).all()
    # A question and an answer passage of the same text are different vectors (e5's prefixes).
    CachedEncoder(Counting(), tmp_path / "vectors.sqlite3").encode(["パスワードを忘れた"], "passage")
    assert calls == [2, 1]
    # A staff member's question is embedded every time and never stored.
    asked = CachedEncoder(Counting(), tmp_path / "vectors.sqlite3")
    asked.encode(["会議を録画したい"], "query", remember=False)
    asked.encode(["会議を録画したい"], "query", remember=False)
    assert calls == [2, 1, 1, 1]
    # A damaged cache file costs time, never the start.
    (tmp_path / "broken.sqlite3").write_bytes(b"not a database" * 100)
    damaged = CachedEncoder(Counting(), tmp_path / "broken.sqlite3")
    assert (damaged.encode(["パスワードを忘れた"], "query")[0] == vectors[1]).all()


def test_a_question_about_something_else_is_not_answered(matcher: FaqMatcher) -> None:
    for question in ["粗大ごみの出し方", "児童手当の申請方法は？", "しりとりしよう"]:
        result = matcher.match(question)
        assert not result.answered and result.faq_id is None, question


def test_empty_and_symbol_only_questions_are_not_answered(matcher: FaqMatcher) -> None:
    for question in ["", "？？？", "!!!"]:
        result = matcher.match(question)
        assert not result.answered and result.score < matcher.answer_threshold


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
    """One threshold for 45 entries and for 1,000: padding the FAQ barely moves the figures.

    Words only here: embedding 1,000 entries takes about a minute on a cold cache, so the
    figures with meaning at 1,000 entries come from `python -m tests.bot.faq_eval --split dev
    --entries 1000` (README).
    """
    from benchmarks.faq_corpus import padded_faq

    small = faq_eval.evaluate(FaqMatcher(seed_entries(), analyzer), faq_eval.load_cases("dev"))
    large = faq_eval.evaluate(FaqMatcher(padded_faq(1000), analyzer), faq_eval.load_cases("dev"))
    assert large.answered_wrong <= 0.03
    assert large.oos_rejected >= small.oos_rejected - 0.06
    assert large.answered_correct >= small.answered_correct - 0.08


# Floors for the held-out figures: (top-1, answered correctly, answered wrongly, out of scope
# rejected, answered or offered on "did you mean"). Each is the target (97 / 93 / ≤2 / ≥90) or
# at least one question below what `python -m tests.bot.faq_eval --split test [--encoder none]`
# measures, whichever is lower: the encoder's arithmetic differs slightly between CPUs, so a
# floor at the exact figure one machine measured fails on another. With meaning (the bot's
# default) the held-out set meets the targets; on words alone (the fallback when the encoder
# cannot load) it does not reach the first two, and its floors do not pretend it does.
HELD_OUT_FLOORS = {"words": (0.91, 0.75, 0.02, 0.90, 0.86), "meaning": (0.97, 0.93, 0.02, 0.90, 0.96)}


def test_held_out_figures_do_not_regress(matcher: FaqMatcher) -> None:
    """Regression guard below the measured figures; a failure prints numbers only, never the
    held-out questions (that would make them development data)."""
    report = faq_eval.evaluate(matcher, faq_eval.load_cases("test"))
    assert (report.in_scope, report.out_of_scope) == (135, 30)
    top1, correct, wrong, rejected, found = HELD_OUT_FLOORS["words" if matcher.encoder is None else "meaning"]
    figures = tuple(round(x, 3) for x in (report.top1, report.answered_correct, report.answered_wrong,
                                          report.oos_rejected, report.answered_or_offered))
    assert (figures[0] >= top1 and figures[1] >= correct and figures[2] <= wrong and figures[3] >= rejected
            and figures[4] >= found), figures


# The same kind of floors for FAQs as a division writes them (one wording an entry, their own
# questions) and for English questions against the Japanese FAQ, with meaning. The sparse FAQs
# do not reach their targets yet (97 / 90 / ≤ 2): these hold what they do, a question or two
# below. The third was written by another hand than the matcher's, and is the harder.
SPARSE_FLOORS = {"sparse": (0.93, 0.85, 0.02, 0.95, 0.88), "sparse3": (0.86, 0.63, 0.04, 0.92, 0.84)}
# English: 12 questions, one is 8 points. Meaning alone answers at a stricter threshold, so most
# of the rest are asked back ("did you mean") with the right entry first.
ENGLISH_FLOORS = (0.91, 0.5, 0.09)


def test_sparse_and_english_held_out_figures_do_not_regress(analyzer: Analyzer, encoder: SentenceEncoder) -> None:
    for faq, size in (("sparse", (80, 20)), ("sparse3", (100, 25))):
        sparse = faq_eval.evaluate(FaqMatcher(faq_eval.load_faq(faq), analyzer, encoder),
                                   faq_eval.load_cases("test", faq))
        assert (sparse.in_scope, sparse.out_of_scope) == size
        figures = tuple(round(x, 3) for x in (sparse.top1, sparse.answered_correct, sparse.answered_wrong,
                                              sparse.oos_rejected, sparse.answered_or_offered))
        top1, correct, wrong, rejected, found = SPARSE_FLOORS[faq]
        assert (figures[0] >= top1 and figures[1] >= correct and figures[2] <= wrong and figures[3] >= rejected
                and figures[4] >= found), (faq, figures)
    english = faq_eval.evaluate(FaqMatcher(seed_entries(), analyzer, encoder), faq_eval.english_cases("test"))
    figures = tuple(round(x, 3) for x in (english.top1, english.answered_correct, english.answered_wrong))
    assert figures[0] >= ENGLISH_FLOORS[0] and figures[1] >= ENGLISH_FLOORS[1] and figures[2] <= ENGLISH_FLOORS[2], \
        figures


def test_closing_the_encoder_stops_a_long_embedding_at_the_next_batch(tmp_path) -> None:
    import threading
    import time

    import numpy as np

    from bot.faq.encoder import CachedEncoder, EncoderClosed

    class Slow:
        model_id = "slow"
        batches = 0

        def encode(self, texts, kind, remember=True):
            Slow.batches += 1
            time.sleep(0.05)
            return np.ones((len(texts), 4), dtype=np.float32)

    encoder = CachedEncoder(Slow(), tmp_path / "vectors.sqlite3")
    outcome: list[BaseException] = []

    def embed() -> None:
        try:
            encoder.encode([f"質問{i}" for i in range(64 * 100)], "query")
        except EncoderClosed as exc:
            outcome.append(exc)

    worker = threading.Thread(target=embed)
    worker.start()
    time.sleep(0.12)
    encoder.close()
    worker.join(timeout=2)
    assert not worker.is_alive() and outcome and Slow.batches < 10
