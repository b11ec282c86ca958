"""Personal data masked in text others will read, as staff type it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabular.privacy import mask_personal


@pytest.mark.parametrize(("typed", "masked"), [
    ("076-220-2111 に電話したがつながらない", "［電話番号］ に電話したがつながらない"),
    ("携帯は090-1234-5678です", "携帯は［電話番号］です"),
    ("０７６－２２０－２１１１", "［電話番号］"),
    ("0762202111", "［電話番号］"),
    ("0120-123-456", "［電話番号］"),
    ("+81 76-220-2111", "［電話番号］"),
    ("マイナンバー 1234 5678 9012 の扱い", "マイナンバー ［個人番号］ の扱い"),
    ("123456789012", "［個人番号］"),
    ("1234-5678-9012", "［個人番号］"),
    ("hanako.yamada@city.example.jp に送って", "［メールアドレス］ に送って"),
])
def test_what_is_personal_is_masked(typed: str, masked: str) -> None:
    assert mask_personal(typed) == masked


@pytest.mark.parametrize("typed", ["研修は2026年4月1日から", "職員番号001234", "予算は12,000,000円", "Power Apps 2024",
                                   "内線1234", "FAQ-0031", "Q-20261130-0A1B2C", "2026-0042", "令和8年度"])
def test_what_is_not_personal_is_left_as_typed(typed: str) -> None:
    assert mask_personal(typed) == typed


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)) | st.sampled_from("＋－＠+-"), max_size=200))
def test_text_without_digits_or_at_signs_is_untouched(text: str) -> None:
    if "@" not in text and "＠" not in text:
        assert mask_personal(text) == text


def test_full_width_characters_around_are_kept_as_typed() -> None:
    typed = "ＴＥＬ：０７６－２２０－２１１１（内線１２３４）、Ａ＋Ｂ"
    assert mask_personal(typed) == "ＴＥＬ：［電話番号］（内線１２３４）、Ａ＋Ｂ"
