"""Personal data out of text that others will read: telephone numbers, 12-digit individual
numbers (マイナンバー) and e-mail addresses, replaced by a label that says what was there.

Staff type these into questions ("076-220-2111 に電話したが…", "マイナンバー 1234 5678 9012 の…"),
and the question is then stored where the DX division and its reports read it. Digits may come
in full width and with hyphens or spaces, as people type them.
"""

from __future__ import annotations

import re

EMAIL = "［メールアドレス］"
PHONE = "［電話番号］"
INDIVIDUAL_NUMBER = "［個人番号］"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 12 digits, alone or as 4-4-4 with hyphens or spaces: the individual number's written forms.
_INDIVIDUAL = re.compile(r"(?<![\d-])\d{4}[- ]?\d{4}[- ]?\d{4}(?![\d-])")
# Japanese telephone numbers: 0 then 9–10 more digits, with or without hyphens (03-1234-5678,
# 076-220-2111, 090-1234-5678, 0120-123-456, 0762202111), or +81 forms.
_PHONE = re.compile(r"(?<![\d-])(?:\+81[- ]?|0)\d{1,4}[- ]?\d{1,4}[- ]?\d{3,4}(?![\d-])")


def mask_personal(text: str) -> str:
    """`text` with e-mail addresses, individual numbers and telephone numbers replaced; every
    other character exactly as typed (full width included)."""
    folded = _fold_digits(text)  # one character for one: spans found here are spans of `text`
    spans: list[tuple[int, int, str]] = []
    for pattern, label in ((_EMAIL, EMAIL), (_INDIVIDUAL, INDIVIDUAL_NUMBER), (_PHONE, PHONE)):
        for m in pattern.finditer(folded):
            if label is PHONE and _digits(m.group()) < 10:
                continue  # 内線1234, a year, a sum of money: not a telephone number
            if all(m.end() <= a or m.start() >= b for a, b, _ in spans):
                spans.append((m.start(), m.end(), label))
    out, at = [], 0
    for start, end, label in sorted(spans):
        out += [text[at:start], label]
        at = end
    return "".join(out) + text[at:]


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


_FOLD = str.maketrans("０１２３４５６７８９－＠＋", "0123456789-@+")


def _fold_digits(text: str) -> str:
    """Full-width digits, hyphens, @ and + to ASCII (only those: the rest stays as typed)."""
    return text.translate(_FOLD)
