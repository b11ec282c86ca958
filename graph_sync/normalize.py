"""How the product folds the many ways Japanese staff and systems write the same thing."""

from __future__ import annotations

import re
import unicodedata


def _is_compat_ideograph(ch: str) -> bool:
    # NFKC maps these to other code points; in a person's name that changes the name itself.
    cp = ord(ch)
    return 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F


def fold(text: str) -> str:
    """NFKC (full-width ASCII to half, half-width kana to full) and collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def fold_name(text: str) -> str:
    """A person's name: like `fold`, but kanji stay exactly as the HR system spells them."""
    out = "".join(ch if _is_compat_ideograph(ch) else unicodedata.normalize("NFKC", ch) for ch in text)
    # Half-width katakana plus a separate voicing mark only composes across characters.
    out = unicodedata.normalize("NFC", out)
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


def code(text: str) -> str:
    """A course code: half-width, upper case, no spaces."""
    folded = fold(text).replace(" ", "").upper()
    if not folded:
        raise ValueError("コードが空です / code is empty")
    return folded
