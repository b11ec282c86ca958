"""Turns a question into the features the matcher compares: content words and character n-grams.

Words come from SudachiPy's normalised forms, so 申込 / 申し込み / 申込み, 出来る / できる and
inflections meet; character bigrams catch what the dictionary splits oddly, compounds, typos and
missing particles; trigrams of the reading (Sudachi's katakana reading_form) catch what is typed
in kana or converted to the wrong kanji (さしもどし / 差し戻し, 既定 / 規定). Product names are
made canonical by the synonym table first, so パワーアップス, ﾊﾟﾜｰｱｯﾌﾟｽ and Power Apps are one word.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Iterable

from sudachipy import Dictionary, SplitMode

from bot.faq.text import HIRAGANA, Synonyms, drop_long_vowels, fold, hiragana

# Grammar and punctuation: particles, auxiliaries, symbols, blanks.
_GRAMMAR_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})
# Parts of speech that carry no topic: grammar, and その/この.
_SKIP_POS = _GRAMMAR_POS | {"連体詞"}
# Lemmas so common in questions that they only add noise (after Sudachi normalisation).
_STOP_LEMMAS = frozenset({
    "為る", "する", "有る", "ある", "居る", "いる", "成る", "なる", "出来る", "できる", "れる", "られる",
    "言う", "いう", "事", "こと", "物", "もの", "様", "よう", "為", "ため", "の", "ん", "其れ", "それ",
    "此れ", "これ", "何", "なに", "なん", "私", "僕", "自分", "教える", "知る", "分かる", "わかる",
    "良い", "いい", "よい", "下さる", "くださる", "頂く", "いただく", "思う", "欲しい", "ほしい",
    "方", "ほう", "どう", "如何", "どうやる", "ちゃう", "仕舞う", "しまう", "見る", "て", "行く",
    "貰う", "もらう", "呉れる", "くれる", "置く", "おく", "ね", "よ", "さん", "ます", "です",
    "つう", "って", "ない", "無い", "たい",
})
# Words that frame a question rather than say what it is about ("how", "when", "who"). They
# count a little: "いつ" separates a deadline question from a how-to, but must never carry a
# match on its own ("確定申告のやり方" is not about ペーパーレス会議のやり方).
_FRAME_LEMMAS = frozenset({
    "遣り方", "やり方", "方法", "仕方", "手順", "出し方", "使い方", "書き方", "見方",
    "いつ", "何時", "誰", "何処", "どこ", "何故", "なぜ",
    "如何して", "どうして", "可能", "必要", "大丈夫", "場合", "時", "とき", "今", "確認", "何月",
    "何日", "何時間", "使う", "作る", "出す", "教え", "知りたい", "聞く", "訊く",
})
FRAME_WEIGHT = 0.3

# Character n-grams are taken inside runs of one script: kanji compounds and katakana words
# carry the topic; hiragana is grammar (the word features already see its content words);
# an ASCII run is one product name or acronym.
_KATAKANA_RUN = r"[\u30a1-\u30fa\u30fc]+"
_SCRIPT_RUNS = re.compile(rf"[\u4e00-\u9fff々〆]+|{_KATAKANA_RUN}|[0-9a-z][0-9a-z.+#-]*")
# Readings are taken over runs of morphemes that are neither grammar nor punctuation. A reading
# that is not katakana (Latin words read as themselves) ends the run: the word features see it.
_KATAKANA = re.compile(_KATAKANA_RUN)
# Trigrams, not bigrams: two kana of a reading (シュ, ウミ) turn up in unrelated words and let a
# question about something else match; three rarely do. Half weight, because for text typed in
# kanji they repeat what the character bigrams already see (dev, cross-validated: bigrams at full
# weight rejected fewer out-of-scope questions on words alone).
READING_N = 3
READING_WEIGHT = 0.5


class Analyzer:
    """Feature extraction shared by the index and the queries; safe to call from any thread."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms
        self._dictionary = Dictionary(dict="core")
        self._local = threading.local()

    def _tokenizer(self):
        # A Sudachi tokenizer is not thread-safe; one per thread, sharing the dictionary.
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            tok = self._local.tokenizer = self._dictionary.tokenizer(mode=SplitMode.C)
        return tok

    def canonical(self, text: str) -> str:
        """Folded text with product names and known spellings made canonical."""
        return self.synonyms.apply(fold(text))

    def words(self, text: str) -> list[str]:
        """Content words of `text`, normalised (lemma, long vowels dropped)."""
        return self._words(self._tokenizer().tokenize(self.canonical(text)))

    def _words(self, morphemes) -> list[str]:
        out: list[str] = []
        for morpheme in morphemes:
            word = self._content_word(morpheme)
            if word is None:
                continue
            out.append(word)
            # A compound also counts as its parts, so 締切日 meets 締め切り and 相談窓口 meets
            # 相談: staff and the FAQ rarely compound the same way.
            if len(morpheme.surface()) > 2:
                parts = morpheme.split(SplitMode.A)
                if len(parts) > 1:
                    # Parts of one character are mostly affixes (化, 書, 日): noise on their own.
                    out += [w for w in map(self._content_word, parts)
                            if w is not None and w != word and len(w) > 1]
        return out

    @staticmethod
    def _readings(morphemes) -> list[str]:
        """Runs of the text's reading in katakana, long vowels dropped. Kana typed without kanji
        is split oddly (さしもどしって → さしも/どしっ/て), so the runs are compared as n-grams,
        never as words."""
        runs: list[str] = []
        run: list[str] = []
        for morpheme in morphemes:
            reading = morpheme.reading_form()
            if morpheme.part_of_speech()[0] in _GRAMMAR_POS or not _KATAKANA.fullmatch(reading):
                runs.append("".join(run))
                run = []
            else:
                run.append(reading)
        runs.append("".join(run))
        return [drop_long_vowels(r) for r in runs if len(r) > 1]

    def _content_word(self, morpheme) -> str | None:
        """The normalised lemma of a morpheme that carries content, else None."""
        if morpheme.part_of_speech()[0] in _SKIP_POS:
            return None
        lemma = fold(morpheme.normalized_form())
        if lemma in _STOP_LEMMAS or fold(morpheme.dictionary_form()) in _STOP_LEMMAS:
            return None
        if len(lemma) == 1 and "\u3041" <= lemma <= "\u3096":
            return None  # a lone hiragana is a particle Sudachi did not tag as one
        return self.synonyms.word(drop_long_vowels(lemma))

    def readings(self, texts: Iterable[str]) -> dict[str, str]:
        """Hiragana reading → the word as `texts` write it, for their nouns in kanji or katakana
        and each part of a compound (会議室, 会議): what `KanaWords` reads unconverted kana with.
        Where two words read alike (期間, 機関), the one the texts use more; a reading the
        dictionary knows in kana as another word (いどう: 移動, not the FAQ's 異動) is left out."""
        seen: dict[str, Counter[tuple[str, str]]] = {}
        for text in texts:
            for morpheme in self._tokenizer().tokenize(fold(text)):
                for part in {morpheme, *morpheme.split(SplitMode.A)}:
                    surface, reading = part.surface(), part.reading_form()
                    if (part.part_of_speech()[0] == "名詞" and _KATAKANA.fullmatch(reading)
                            and not HIRAGANA.fullmatch(surface) and not surface.isascii()):
                        seen.setdefault(hiragana(reading), Counter())[surface, part.normalized_form()] += 1
        out = {}
        for kana, words in seen.items():
            (surface, lemma), _ = words.most_common(1)[0]
            elsewhere = {m.normalized_form() for m in self._dictionary.lookup(kana)} - {kana}
            if not elsewhere or lemma in elsewhere:
                out[kana] = surface
        return out

    @staticmethod
    def weight(feature: str) -> float:
        """How much a feature counts: frame words and all-hiragana bigrams count little, readings half."""
        if feature.startswith("w:"):
            return FRAME_WEIGHT if feature[2:] in _FRAME_LEMMAS else 1.0
        if feature.startswith("r:"):
            return READING_WEIGHT
        return FRAME_WEIGHT if HIRAGANA.fullmatch(feature[2:]) else 1.0

    def features(self, text: str) -> Counter[str]:
        """Word features (`w:`), character bigram features (`c:`) and reading trigram features
        (`r:`) of `text`."""
        canonical = self.canonical(text)
        morphemes = self._tokenizer().tokenize(canonical)
        feats: Counter[str] = Counter("w:" + w for w in self._words(morphemes))
        for run in _SCRIPT_RUNS.findall(drop_long_vowels(canonical)):
            if run.isascii() or len(run) == 1:
                feats["c:" + run] += 1
                continue
            feats.update("c:" + run[i:i + 2] for i in range(len(run) - 1))
        for run in self._readings(morphemes):
            feats.update("r:" + run[i:i + READING_N] for i in range(max(1, len(run) - READING_N + 1)))
        return feats
