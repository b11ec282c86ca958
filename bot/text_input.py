"""What staff type, made comparable for exact-command routing (ヘルプ, ＨＥＬＰ, help)."""

from __future__ import annotations

import re
import unicodedata

_TRAILING = re.compile(r"[\s。．.!！?？]+$")


def normalise_command(text: str) -> str:
    """NFKC, lower case, no surrounding spaces or trailing punctuation."""
    return _TRAILING.sub("", unicodedata.normalize("NFKC", text).strip().lower())
