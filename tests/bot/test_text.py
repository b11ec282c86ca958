"""Folding what staff type before the FAQ matcher compares it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq.text import Synonyms, SynonymsError, drop_long_vowels, fold, normalise


@pytest.fixture(scope="module")
def synonyms() -> Synonyms:
    return Synonyms.load()


def test_fold_width_case_and_long_vowel_lookalikes() -> None:
    assert fold("ＰＯＷＥＲ　ＡＰＰＳ") == "power apps"
    assert fold("ﾊﾟﾜｰｱｯﾌﾟｽ") == "パワーアップス"
    assert fold("パワ－アップス") == fold("パワーアップス") == fold("パワ―アップス")
    assert drop_long_vowels("サーバー") == drop_long_vowels("サーバ") == "サバ"


@pytest.mark.parametrize(("typed", "expected"), [
    ("パワーアップスで作ったアプリを共有したい", "powerapps で作ったアプリを共有したい"),
    ("PowerAppsで作ったアプリを共有したい", "powerapps で作ったアプリを共有したい"),
    ("ﾊﾟﾜｰｱｯﾌﾟｽで作ったアプリを共有したい", "powerapps で作ったアプリを共有したい"),
    ("パワオトのフローが止まる", "powerautomate のフロが止まる"),
    ("Power Automateのフローが止まる", "powerautomate のフロが止まる"),
    ("チームズの通知を減らしたい", "teams の通知を減らしたい"),
    ("シェアポのリスト", "sharepoint のリスト"),
    ("イーラーニングの期限", "eラーニング の 期限"),
    ("e-learningの期限", "eラーニング の 期限"),
    ("2段階認証の設定", "多要素認証 の設定"),
])
def test_product_names_and_words_become_one_term(synonyms: Synonyms, typed: str, expected: str) -> None:
    assert normalise(typed, synonyms) == expected


def test_ascii_spellings_match_whole_words_only(synonyms: Synonyms) -> None:
    # "pw" is a synonym of パスワード, but not inside another word; "gpt" likewise.
    assert normalise("pwを忘れた", synonyms) == "パスワード を忘れた"
    assert normalise("spwnが動かない", synonyms) == "spwnが動かない"


def test_a_spelling_with_two_meanings_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "syn.toml"
    path.write_text('[[terms]]\ncanonical = "a"\nvariants = ["x"]\n[[terms]]\ncanonical = "b"\n'
                    'variants = ["x"]\n', encoding="utf-8")
    with pytest.raises(SynonymsError, match=r"syn\.toml: .*means both"):
        Synonyms.load(path)


def test_short_japanese_words_are_left_alone(synonyms: Synonyms) -> None:
    assert normalise("パスポートの申請", synonyms) == "パスポトの申請"
    assert normalise("ロボット掃除機", synonyms) == "ロボット掃除機"


def test_hiragana_loanwords_become_the_katakana_the_faq_writes() -> None:
    from bot.faq.text import KanaLoanwords

    words = KanaLoanwords(["パスワードを忘れた", "Power Apps（パワーアップス）", "リストを作る", "チーム",
                           "アイデア募集", "Glide（グライド）", "キット", "チャットとメール"])
    assert words.apply("ぱすわーどをわすれた") == "パスワードをわすれた"
    assert words.apply("ぱわーあっぷすのアプリ") == "パワーアップスのアプリ"
    assert words.apply("ちーむで共有") == "チームで共有"
    assert words.apply("ちゃっとのつかいかた") == "チャットのつかいかた"
    # Words with no long vowel or small kana stay: their hiragana is ordinary Japanese too often.
    for ordinary in ("りすとをつくる", "参加できないばあいであれば", "どのぐらいどこで", "きっとできる"):
        assert words.apply(ordinary) == ordinary
    assert KanaLoanwords([]).apply("ぱすわーど") == "ぱすわーど"
    # The synonym file keeps its spellings without long vowels; typed with or without, they meet.
    # A long vowel is what tells a short loanword from ordinary hiragana: メール is not める.
    faq = KanaLoanwords(["メール", "マーク", "データ", "エラー", "ツール", "フロー", "チーム", "パスワード"])
    for ordinary in ("決める", "アプリの共有がうまくいかない", "データを集める", "まとめる方法", "おふろ"):
        assert faq.apply(ordinary) == ordinary
    assert faq.apply("えらーがでた") == "エラーがでた"
    assert faq.apply("ぱすわ－ど") == faq.apply("ぱすわ〜ど") == "パスワード"  # a dash typed for ー
    spelled = KanaLoanwords(["パワアップス", "パワオトメイト"])
    assert spelled.apply("ぱわーあっぷすの申請") == spelled.apply("ぱわあっぷすの申請") == "パワアップスの申請"
    assert spelled.apply("ぱわーおーとめいと") == "パワオトメイト"


def test_a_question_typed_all_in_kana_is_read_with_the_faqs_words(synonyms: Synonyms) -> None:
    from bot.faq.analyzer import Analyzer
    from bot.faq.text import KanaWords

    readings = Analyzer(synonyms).readings(["会議室を予約したい", "画面を共有するには", "アプリを配る",
                                            "受講期限", "違いは何"])
    assert readings["かいぎしつ"] == "会議室" and readings["かいぎ"] == "会議"  # a compound and its parts
    words = KanaWords(readings)
    assert words.apply("かいぎしつをよやくしたい") == "会議室を予約したい"
    assert words.apply("あぷりをきょうゆうしたい") == "アプリを共有したい"
    assert words.apply("じゅこうきげんはいつ") == "受講期限はいつ"
    # A word starts where the kana does, after a particle or after another word, never inside
    # one (ちがい in どっちがいい); and a question with kanji is left as typed.
    assert words.apply("どっちがいい") == "どっちがいい"
    assert words.apply("会議室をよやく") == "会議室をよやく"
    assert KanaWords({}).apply("きょうゆう") == "きょうゆう"


def test_kana_is_read_as_a_word_only_where_a_word_can_stand(synonyms: Synonyms) -> None:
    from bot.faq.analyzer import Analyzer
    from bot.faq.text import KanaWords

    analyzer = Analyzer(synonyms)
    words = KanaWords(analyzer.readings(["電子決裁", "担当の課", "規程", "自動で登録", "開始日", "異動したら", "急ぎ"]))
    # Not before a small kana or inside a sound (でんしゃ, たんとうしゃ), not before what cannot
    # follow a noun (できていない, じどうてあて), and not a reading of fewer than three sounds (きゅう).
    for ordinary in ("でんしゃ", "たんとうしゃがいない", "できていない", "じどうてあて", "かいしゃ",
                     "きゅうかのしんせい"):
        assert words.apply(ordinary) == ordinary, ordinary
    assert words.apply("でんしけっさいのきてい") == "電子決裁の規程"
    assert KanaWords(analyzer.readings(["担当者"])).apply("たんとうしゃがいない") == "担当者がいない"
    # The dictionary reads いどう as 移動: the FAQ's 異動 is not what such kana means.
    assert "いどう" not in analyzer.readings(["異動したら"])
