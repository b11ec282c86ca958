"""How an answer reads on its card: steps as a numbered list, a long answer cut after a
sentence with the rest behind 「続きを見る」, nothing of the division's text lost either way."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.features.answer_cards import SHORT_ANSWER, as_steps, split_long

JAPANESE = st.text(alphabet=st.sampled_from("あいうえおかきくけこアプリ共有押す開く。、．\n ①②③（）()1234567890."),
                   max_size=900)


def test_steps_written_three_ways_become_one_numbered_list() -> None:
    listed = "1. アプリを開く\n2. ［共有］を押す\n3. 相手を選ぶ"
    assert as_steps("①アプリを開く②［共有］を押す③相手を選ぶ") == listed
    assert as_steps("1）アプリを開く\n2）［共有］を押す\n3）相手を選ぶ") == listed
    assert as_steps("（1）アプリを開く （2）［共有］を押す （3）相手を選ぶ") == listed
    assert as_steps("次の手順です。①開く②押す") == "次の手順です。\n\n1. 開く\n2. 押す"


def test_numbers_that_are_not_steps_stay_as_written() -> None:
    for text in ("内線 2100 に連絡してください。", "令和6年度から。3年に1回です。", "①だけの説明",
                 "2. と 5. を見てください", "バージョン 1.2 と 1.3", "画面の①と②を確認してください。",
                 "②③④の順に押します。", "詳しくは別紙 (1) と別紙 (2) を参照"):
        assert as_steps(text) == text


def test_a_sentence_in_quotes_does_not_end_the_last_step() -> None:
    assert as_steps("①「保存。」を押す②「閉じる。」を押してから再度開く。") == \
        "1. 「保存。」を押す\n2. 「閉じる。」を押してから再度開く。"


def test_an_answer_with_no_early_sentence_end_is_shown_whole() -> None:
    link = "[申請の手引き](https://www.city.example.jp/document/index.html)"
    text = "あ" * 300 + link + "い" * 100
    assert split_long(text) == (text, "")


@given(JAPANESE)
def test_making_steps_loses_no_word(text: str) -> None:
    def words(s: str) -> str:
        return re.sub(r"[\s①-⑳（）()．.、)）0-9]", "", s)

    assert words(as_steps(text)) == words(text)


@given(JAPANESE)
def test_a_long_answer_is_cut_after_a_sentence_and_nothing_is_lost(text: str) -> None:
    first, more = split_long(text)
    assert re.sub(r"\s", "", first + more) == re.sub(r"\s", "", text)
    if more:
        assert len(first) <= SHORT_ANSWER and first.strip()
    else:
        assert first == text
