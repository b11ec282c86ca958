"""Folding the ways people and systems type the same thing."""

from __future__ import annotations

import pytest

from tabular.normalize import code, fold, fold_kana, fold_name, staff_number


def test_staff_numbers_keep_leading_zeros_and_fold_width() -> None:
    assert staff_number("012345") == "012345"
    assert staff_number("０１２３４５") == "012345"
    assert staff_number(" 01-2345 ") == "012345"
    for bad in ("", "A12345", "１２三"):
        with pytest.raises(ValueError, match="職員番号"):
            staff_number(bad)


def test_names_fold_spaces_and_kana_but_keep_kanji() -> None:
    assert fold_name("山田\u3000太郎") == "山田 太郎"
    assert fold_name("ﾔﾏﾀﾞ  ﾀﾛｳ") == "ヤマダ タロウ"
    # A compatibility ideograph is part of someone's name: NFKC would change it, we must not.
    assert fold_name("\ufa19田") == "\ufa19田"
    assert fold("\ufa19") != "\ufa19"


def test_kana_readings() -> None:
    assert fold_kana("ﾏﾂﾀﾞ ﾀﾂﾔ") == "マツダ タツヤ"
    assert fold_kana("やまだ　たろう") == "ヤマダ タロウ"


def test_codes() -> None:
    assert code(" ｅ－ｓｅｃ ") == "E-SEC"
