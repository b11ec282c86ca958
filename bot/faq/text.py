"""How the FAQ matcher folds what staff type: widths, cases, long vowels and product names.

Pure functions and a small synonym table the DX division edits (config/faq_synonyms.toml).
Morphological analysis (okurigana variants such as 申込 / 申し込み) is layered on top of this by
the matcher; this module only makes equal what is written differently but means the same.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Mapping

# Marks people type for the katakana long vowel ー: hyphens, dashes, the half-width form.
_LONG_VOWEL_LOOKALIKES = str.maketrans({c: "ー" for c in "‐‑‒–—―−－ｰ〜～"})
_KATAKANA_LONG_VOWEL = re.compile(r"(?<=[ァ-ヶ])ー")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC, lower case, one kind of long-vowel mark, single spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_LONG_VOWEL_LOOKALIKES).lower()
    # NFKC turns ー-lookalikes between katakana into "-" in some fonts' input; fold them back.
    folded = re.sub(r"(?<=[ァ-ヶ])-", "ー", folded)
    return _SPACES.sub(" ", folded).strip()


# Greetings and politeness that frame a chat message but say nothing about what is asked. Left
# in, they dilute both the words and the meaning of a short question ("お疲れ様です。…"); alone,
# they are a greeting, not a question (the bot's router greets them back).
PLEASANTRY = (
    r"(?:(?:お疲れ|おつかれ)(?:様|さま)(?:です)?|こんにち[はわ]|こんばんは|おはよう(?:ございます)?|はじめまして|お世話になって(?:おり|い)ます|すみません|すいません|"
    r"失礼(?:します|いたします)|(?:どうぞ)?(?:よろしく|宜しく)お(?:願|ねが)い(?:します|いたします|致します)|"
    r"(?:ちょっと)?質問(?:です|があります|させてください)|教えて(?:ください|下さい|頂けますか|いただけますか))")
_PLEASANTRIES = re.compile(rf"{PLEASANTRY}[。、!！?？.\s]*")
ONLY_PLEASANTRIES = re.compile(rf"(?:{PLEASANTRY}[。、!！?？.\s]*)+")


def strip_pleasantries(text: str) -> str:
    """`text` without greetings and politeness formulas (empty when that is all it was)."""
    return _PLEASANTRIES.sub("", text).strip(" \t\n　。、")


def drop_long_vowels(text: str) -> str:
    """サーバー and サーバ, コンピューター and コンピュータ: compare without the long vowel."""
    return _KATAKANA_LONG_VOWEL.sub("", text)


class SynonymsError(Exception):
    """A synonym file that cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class Synonyms:
    """Spellings → canonical terms, applied longest spelling first."""

    pattern: re.Pattern[str] | None
    canonical: dict[str, str]
    words: dict[str, str] = field(default_factory=dict)  # lemma → canonical word

    def word(self, lemma: str) -> str:
        """The canonical form of a dictionary-form word (itself when it has none)."""
        return self.words.get(lemma, lemma)

    @classmethod
    def load(cls, path: Path | None = None) -> "Synonyms":
        """The packaged config/faq_synonyms.toml, or the file at `path`.

        Raises SynonymsError naming the file and what is wrong with it."""
        where = str(path) if path is not None else "config/faq_synonyms.toml"
        try:
            raw = (path.read_text("utf-8-sig") if path is not None
                   else resources.files("config").joinpath("faq_synonyms.toml").read_text("utf-8"))
            data = tomllib.loads(raw)
            return cls._build(data)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, KeyError, TypeError) as exc:
            reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise SynonymsError(f"{where}: {reason}") from exc

    @classmethod
    def _build(cls, data: dict) -> "Synonyms":
        words = _spelling_table(data.get("words", []), lambda c: drop_long_vowels(fold(c)))
        table = _spelling_table(data.get("terms", []), fold)
        if not table:
            return cls(None, {}, words)
        # Longest first, so "power automate" wins over "power"; ASCII spellings only match whole
        # words (not the "pa" inside "password"), Japanese ones anywhere.
        alternatives = []
        for key in sorted(table, key=len, reverse=True):
            # Keys are stored without long vowels; a ー after any katakana is optional in the
            # text, so the table applies both before and after drop_long_vowels.
            escaped = "".join(re.escape(c) + ("ー?" if "ァ" <= c <= "ヶ" else "") for c in key)
            alternatives.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if key.isascii() else escaped)
        return cls(re.compile("|".join(alternatives)), table, words)

    def apply(self, text: str) -> str:
        """`text` (already folded) with every known spelling made canonical."""
        if self.pattern is None:
            return text
        return self.pattern.sub(
            lambda m: f" {self.canonical[drop_long_vowels(m.group(0))]} ", text).strip()


def _spelling_table(groups: list[dict], canonical_form: Callable[[str], str]) -> dict[str, str]:
    """Each spelling (folded, long vowels dropped) → its group's canonical form; a spelling in
    two groups is an error in the file, not something to resolve silently."""
    table: dict[str, str] = {}
    for group in groups:
        canonical = canonical_form(group["canonical"])
        for spelling in [group["canonical"], *group.get("variants", [])]:
            if not fold(spelling):
                raise ValueError(f"faq synonyms: an empty spelling in the group of {group['canonical']!r}")
            previous = table.setdefault(drop_long_vowels(fold(spelling)), canonical)
            if previous != canonical:
                raise ValueError(f"faq synonyms: {spelling!r} means both {previous!r} and {canonical!r}")
    return table


def normalise(text: str, synonyms: Synonyms) -> str:
    """The form the matcher compares: folded, long vowels dropped, synonyms canonical."""
    return _SPACES.sub(" ", synonyms.apply(drop_long_vowels(fold(text)))).strip()


_KATAKANA_WORD = re.compile(r"[ァ-ヺー]{3,}")
_SMALL = re.compile(r"[ァィゥェォッャュョヮヵヶ]")


def hiragana(katakana: str) -> str:
    """パスワード → ぱすわーど (ヴ, ヷ–ヺ have no hiragana and stay)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)


class KanaLoanwords:
    """Loanwords typed in hiragana (ぱすわーど, ぱわーあっぷす) read as the katakana the FAQ writes.

    The morphological analyser cannot split an all-hiragana sentence into words it only knows
    in katakana ("ぱすわーどをわすれてしまいました" comes out as ぱっ…), so the question is
    rewritten first, for the words the FAQ's questions and the synonym file spell in katakana.
    Only words with a long vowel (パスワード, チーム), of four kana or more with a small kana
    (チャット), or of six kana or more (the synonym file's パワオトメイト) are taken: shorter
    ones' hiragana is ordinary Japanese too often (アイデア in 「ばあいであれば」, グライド in
    「どのぐらいどこで」, キット as きっと).
    """

    def __init__(self, texts: Iterable[str]) -> None:
        found = {w for text in texts for w in _KATAKANA_WORD.findall(unicodedata.normalize("NFKC", text))}
        # Keyed without long vowels: the synonym file stores its spellings without them
        # (パワアップス), and staff type them with or without (ぱわーあっぷす, ぱわあっぷす).
        words = {hiragana(w).replace("ー", ""): w for w in found
                 if ("ー" in w or (len(w) >= 4 and _SMALL.search(w)) or len(w) >= 6) and hiragana(w) != w}
        ordered = sorted(words, key=len, reverse=True)
        self._words = words
        self._pattern = (re.compile("|".join("".join(re.escape(c) + "ー?" for c in w) for w in ordered))
                         if ordered else None)

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._words[m.group(0).replace("ー", "")],
                                 unicodedata.normalize("NFKC", text))


_KANJI = re.compile(r"[\u4e00-\u9fff々〆]")
_HIRAGANA_RUN = re.compile(r"[\u3041-\u3096ー]+")
_PARTICLES = frozenset("のをがはにでともへや")
KANA_WORD_MIN = 3  # readings shorter than this (かい, きょ) turn up inside ordinary kana too often


class KanaWords:
    """A question typed without converting to kanji (きょうゆうしたい, かいぎしつをよやく) read with
    the FAQ's own words. The morphological analyser splits such kana by guesswork (きょう/ゆうし →
    今日/有する), so the question is rewritten first, longest reading first, from the readings of
    the words the FAQ uses. Only questions with no kanji at all are rewritten: in one that has
    kanji, hiragana is grammar and okurigana, and the FAQ's readings turn up inside it by chance.
    """

    def __init__(self, readings: Mapping[str, str]) -> None:
        """`readings`: hiragana reading → how the FAQ writes the word (きょうゆう → 共有)."""
        self._words = {r: w for r, w in readings.items() if len(r) >= KANA_WORD_MIN}
        self._longest = max(map(len, self._words), default=0)

    def apply(self, text: str) -> str:
        if not self._words or _KANJI.search(text):
            return text
        return _HIRAGANA_RUN.sub(lambda m: self._convert(m.group(0)), text)

    def _convert(self, run: str) -> str:
        # A word starts where the run does, after a particle or right after another word; not
        # anywhere (ちがい is not in どっちがいい).
        out, i, boundary = [], 0, True
        while i < len(run):
            if boundary:
                for size in range(min(self._longest, len(run) - i), KANA_WORD_MIN - 1, -1):
                    word = self._words.get(run[i:i + size])
                    if word is not None:
                        out.append(word)
                        i += size
                        break
                else:
                    word = None
                if word is not None:
                    continue
            boundary = run[i] in _PARTICLES
            out.append(run[i])
            i += 1
        return "".join(out)
