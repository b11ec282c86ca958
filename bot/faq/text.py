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
_LONG_MARKS = "‐‑‒–—―−－ｰ〜～"
_LONG_VOWEL_LOOKALIKES = str.maketrans({c: "ー" for c in _LONG_MARKS})
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
# Greetings as typed, long vowels and all (こんにちはー, おはよーございます, こんばんわ).
GREETINGS = r"こんにち[はわ]|こんばん[はわ]|おはよ[うー]?(?:ございます)?|はじめまして"
PLEASANTRY = (
    rf"(?:(?:お疲れ|おつかれ)(?:様|さま)(?:です)?|{GREETINGS}|お世話になって(?:おり|い)ます|すみません|すいません|"
    r"失礼(?:します|いたします)|(?:どうぞ)?(?:本日も|今日も|今年も|引き続き)?(?:よろしく|宜しく)お(?:願|ねが)い(?:します|いたします|致します)|"
    r"(?:ちょっと)?質問(?:です|があります|させてください)|教えて(?:ください|下さい|頂けますか|いただけますか))")
# What may follow a pleasantry or sit between them: punctuation, long marks, emoji (😊 ♪ ！).
BETWEEN = r"[\s!！?？。.、,~〜ー♪☆★☺\U0001F300-\U0001FAFF\u2600-\u27BF]*"
_PLEASANTRIES = re.compile(rf"{PLEASANTRY}{BETWEEN}")
ONLY_PLEASANTRIES = re.compile(rf"(?:{PLEASANTRY}{BETWEEN})+")


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
    Only words with a long vowel (パスワード, チーム) or of four kana or more with a small kana
    (チャット) are taken, spelled as written: without one, their hiragana is ordinary Japanese
    too often (アイデア in 「ばあいであれば」, グライド in 「どのぐらいどこで」, キット as きっと), and
    without its long vowel a short one is too (メール as める in 「決める」). The synonym file
    keeps its spellings without long vowels (パワアップス): those of six kana or more are taken
    with or without them (ぱわーあっぷす, ぱわあっぷす).
    """

    def __init__(self, texts: Iterable[str]) -> None:
        found = {w for text in texts for w in _KATAKANA_WORD.findall(unicodedata.normalize("NFKC", text))}
        self._exact: dict[str, str] = {}  # typed as written
        self._loose: dict[str, str] = {}  # typed with or without long vowels, keyed without
        for w in found:
            typed = hiragana(w)
            if typed == w:
                continue
            if "ー" in w:
                self._exact[typed] = w
            elif len(w) >= 6:
                self._loose[typed] = w
            elif len(w) >= 4 and _SMALL.search(w):
                self._exact[typed] = w
        patterns = [(len(k), re.escape(k)) for k in self._exact]
        patterns += [(len(k), "".join(re.escape(c) + "ー?" for c in k)) for k in self._loose]
        self._pattern = (re.compile("|".join(p for _, p in sorted(patterns, key=lambda p: -p[0])))
                         if patterns else None)

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text
        typed = _HIRAGANA_LONG_LOOKALIKE.sub("ー", unicodedata.normalize("NFKC", text))
        return self._pattern.sub(lambda m: self._exact.get(m.group(0)) or self._loose[m.group(0).replace("ー", "")],
                                 typed)


# A long mark typed as a dash or wave after hiragana (ぱすわ－ど, ぱすわ〜ど).
_HIRAGANA_LONG_LOOKALIKE = re.compile(rf"(?<=[\u3041-\u3096])[{_LONG_MARKS}~-]")


_KANJI = re.compile(r"[\u4e00-\u9fff々〆]")
HIRAGANA = re.compile(r"[\u3041-\u3096ー]+")  # a run of hiragana (and long marks)
_PARTICLES = frozenset("のをがはにでともへや")
# What may follow a word in kana: a particle, する (予約し…), だ, って, か; or another word.
_FOLLOWERS = _PARTICLES | frozenset("しすさせだっか")
_SMALL_KANA = frozenset("ぁぃぅぇぉゃゅょゎっー")
_NOT_A_MORA = frozenset("ぁぃぅぇぉゃゅょゎ")  # きゅ is one sound, not two
KANA_WORD_MIN = 3  # readings of fewer sounds (かい, きゅう) turn up inside ordinary kana too often


def _morae(kana: str) -> int:
    return sum(c not in _NOT_A_MORA for c in kana)


class KanaWords:
    """A question typed without converting to kanji (きょうゆうしたい, かいぎしつをよやく) read with
    the FAQ's own words. The morphological analyser splits such kana by guesswork (きょう/ゆうし →
    今日/有する), so the question is rewritten first, longest reading first, from the readings of
    the words the FAQ's questions use. Only questions with no kanji at all are rewritten: in one
    that has kanji, hiragana is grammar and okurigana, and the FAQ's readings turn up inside it
    by chance. A word is taken only where one can start and end: at the start of the kana, after a
    particle or another word; before a particle, する, だ, って, another word or the end, never
    before a small kana or a long mark (でんしゃ is not 電子ゃ, きていない holds no 規程).
    """

    def __init__(self, readings: Mapping[str, str]) -> None:
        """`readings`: hiragana reading → how the FAQ writes the word (きょうゆう → 共有)."""
        self._words = {r: w for r, w in readings.items() if _morae(r) >= KANA_WORD_MIN}
        self._longest = max(map(len, self._words), default=0)

    def apply(self, text: str) -> str:
        if not self._words or _KANJI.search(text):
            return text
        return HIRAGANA.sub(lambda m: self._convert(m.group(0)), text)

    def _word_at(self, run: str, i: int) -> int:
        """The length of the longest word that starts at `i` and ends well, or 0."""
        for size in range(min(self._longest, len(run) - i), KANA_WORD_MIN - 1, -1):
            if run[i:i + size] in self._words:
                end = i + size
                if end == len(run):
                    return size
                follows = run[end] in _FOLLOWERS and run[end + 1:end + 2] not in _NOT_A_MORA  # not しゃ
                if run[end] not in _SMALL_KANA and (follows or self._starts_word(run, end)):
                    return size
        return 0

    def _starts_word(self, run: str, i: int) -> bool:
        return any(run[i:i + size] in self._words
                   for size in range(KANA_WORD_MIN, min(self._longest, len(run) - i) + 1))

    def _convert(self, run: str) -> str:
        out, i, boundary = [], 0, True
        while i < len(run):
            size = self._word_at(run, i) if boundary else 0
            if size:
                out.append(self._words[run[i:i + size]])
                i += size
                continue  # another word may follow at once
            boundary = run[i] in _PARTICLES
            out.append(run[i])
            i += 1
        return "".join(out)
