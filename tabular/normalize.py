"""How the product folds the many ways Japanese staff and systems write the same thing."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """NFKC (full-width ASCII to half, half-width kana to full) and collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


_COMPAT_IDEOGRAPHS = re.compile("([\uf900-\ufaff\U0002f800-\U0002fa1f])")


def fold_name(text: str) -> str:
    """A person's name: like `fold`, but kanji stay exactly as the HR system spells them."""
    # Even NFC maps compatibility ideographs, so normalise only the runs between them. Whole
    # runs (not single characters) so that ﾀﾞ composes into ダ.
    parts = _COMPAT_IDEOGRAPHS.split(text)
    out = "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))
    return " ".join(out.split())


def fold_kana(text: str) -> str:
    """A katakana reading: full-width, hiragana turned into katakana, single spaces."""
    folded = fold(text)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in folded)


_DIGITS = re.compile(r"\d+")


def staff_number(text: str) -> str:
    """A staff number as digits, leading zeros kept: '０１２３４５' and ' 012345 ' give '012345'."""
    folded = fold(text).replace(" ", "").replace("-", "")
    if not _DIGITS.fullmatch(folded) or not folded.isascii():
        raise ValueError("職員番号は数字で入力してください / staff number must be digits")
    return folded


def without_leading_zeros(key: str) -> str:
    """`key` with every number in it (parts joined by `_`) stripped of its leading zeros, as a
    spreadsheet shows a staff number it took for a number: `012345_E-SEC` → `12345_E-SEC`."""
    return "_".join(part.lstrip("0") or "0" if part.isdigit() else part for part in key.split("_"))


def code(text: str) -> str:
    """A course code: half-width, upper case, no spaces."""
    folded = fold(text).replace(" ", "").upper()
    if not folded:
        raise ValueError("コードが空です / code is empty")
    return folded
