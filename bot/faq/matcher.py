"""Finds the FAQ entry a question means, with a score that is a calibrated probability.

Pure: build an index from entries once, then `match(question)` many times, no I/O. Each entry is
represented by its question and alternate questions (and, with less weight, its tags and
answer); a question is compared with TF-IDF cosine over two feature spaces (content words;
character bigrams with reading trigrams, see analyzer.py). Features the FAQ has never seen still
count in the question's length, so a question about something else scores low instead of
matching on one shared word.

With a sentence encoder (encoder.py), each entry also gets a meaning similarity: the mean cosine
of the question's embedding with the entry's few closest texts (questions and answer), which
finds paraphrases that share no word ("うっかり捨てた書類を取り返せる？" / "間違って削除したファイルを元に戻したい").

Meaning counts twice: how close the embeddings are on an absolute scale (what keeps questions
about something else out), and how far the entry stands above sentences about other things
(off_topic.txt; what finds the right entry for a casual or long question, which sits lower on
everything).

Each candidate's features (similarity, lead over the best other candidate, coverage, the whole
entry's similarity and lead, and with an encoder both meanings and their leads) go through a
logistic model fitted on the development questions of five FAQs together, one written with 7–10
wordings an entry and four with one (`python -m tests.bot.faq_eval --fit`), which gives the
probability that the candidate is what was asked; candidates are ranked by it. Because the
inputs are cosines and margins, not counts, and the fit sees FAQs of both shapes, one threshold
means the same thing for 45 entries or 1,000, written once per entry or many times.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Iterable, Sequence

import numpy as np

from bot.faq.analyzer import Analyzer
from bot.faq.encoder import SentenceEncoder
from bot.faq.entry import FaqEntry
from bot.faq.text import KanaLoanwords, KanaWords, strip_pleasantries

# Weights: bias, then one per feature (see `Similarity.features`). Without an encoder the meaning
# features are absent. The words-only weights predate the fit over every candidate (they model
# only the top one) and the whole-entry feature (zero: they do without it); refitting them that
# way answered fewer dev questions when they were fitted (77.7% → 75.0% on both dev files, same
# wrong rate), so they stay.
CALIBRATION = (-4.68, 4.26, 5.95, 1.36, 0.0, 0.0)  # similarity, lead, coverage, whole entry, lead
# ..., closeness in meaning, its lead, standing in meaning, its lead: fitted by
# `python -m tests.bot.faq_eval --fit` on the dev questions of the rich FAQ, the three sparse ones
# and the rich one with its alternates dropped, together.
CALIBRATION_WITH_MEANING = (-4.15, 1.2, 1.99, 1.43, 1.0, 1.33, 0.71, 1.12, 1.08, 2.69)
# A question in English shares no word with a Japanese FAQ: its meaning alone decides, by weights
# fitted on English questions (`python -m tests.bot.faq_eval --fit-english`; the word features
# at zero). The multilingual encoder places the right entry first for nearly all of them; the
# Japanese weights, which expect shared words too, answered half of them outright.
CALIBRATION_ENGLISH = (-5.29, 0.0, 0.0, 0.0, 0.0, 0.0, 1.61, 1.91, 2.73, 4.39)
# Meaning alone is less sure of itself than words and meaning: English questions about other
# things (a Teams background, an Outlook mail) reached 0.2–0.4 against the nearest entry.
ENGLISH_THRESHOLD = 0.45
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
WORD_WEIGHT = 0.55  # share of the word space in the similarity; the rest is character bigrams
ANSWER_WEIGHT = 0.35  # how much a match in the answer text counts against one in a question
# e5 cosines of unrelated Japanese sentences sit around 0.75–0.8; the meaning scale starts there.
MEANING_FLOOR = 0.8
STANDING_SCALE = 4.0  # standard deviations above the off-topic sentences that count as 1
ANSWER_MEANING_GAP = 0.03  # a question is closer to a question than to an answer passage
# An entry's closeness in meaning is the mean of its few closest texts (wordings and answer),
# not the closest alone: one odd alternate wording that happens to resemble a question must
# not outweigh an entry whose several wordings all do. Measured on dev by cross-validation and
# on the FAQ's own wordings left out one at a time (top-1 91.5% → 93.3%).
MEANING_TOP = 3
COVERAGE_WEIGHT = 1.2  # how much "the entry speaks of everything the question mentions" counts
# Answer directly at or above this probability. Chosen on development data as the lowest (in
# steps of 0.05) that keeps, on the five FAQs' dev questions scored by 4-fold cross-validation of
# the fit (`faq_eval --cv 4`), wrong answers within half their target (≤ 1%) over all of them and
# within the target (≤ 2%) on each, out-of-scope rejection within half of its slack (≥ 95%) over
# all, the same with the rich FAQ padded to 1,000 entries, and wrong answers within the target on
# the rich FAQ's own wordings left out one at a time (`faq_eval --leave-one-out`, harder than
# dev). At 0.25, 1.1% of all dev questions were answered wrongly (2.5% of the rich FAQ stripped of
# its alternates). Words alone are less sure of themselves, so they need more.
ANSWER_THRESHOLD = 0.3
ANSWER_THRESHOLD_WORDS_ONLY = 0.35
SUGGEST_THRESHOLD = 0.1  # list as "did you mean" at or above this probability
CLOSE_RATIO = 0.7  # a runner-up this close to the top makes it "did you mean", not an answer
CANDIDATES = 3
# A question that names one thing only, which several entries speak of (「共有のやり方」), is too
# vague to answer outright: "did you mean" instead. (Two such things already narrow it enough:
# with VAGUE_WORDS = 2 the rich FAQ's dev answered 92.9% outright instead of 95.9%.)
VAGUE_WORDS = 1
VAGUE_DF = 3
VAGUE_CERTAIN = 0.9  # ... unless the best entry is this sure
# Words that say how or that something is wanted, not what about.
GENERIC_WORDS = frozenset({"遣り方", "遣る", "方法", "仕方", "手順", "使い方", "使う", "教える", "知る", "分かる",
                           "出来る", "する", "為る", "ある", "有る", "いい", "良い", "場合", "こと", "事", "何",
                           "どう", "如何", "見る", "欲しい", "やり方", "知りたい", "したい"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One FAQ entry and the probability that it is what was asked."""

    faq_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """What the matcher makes of a question."""

    answered: bool
    faq_id: str | None  # the entry it would answer with, when answered
    score: float  # probability that the top candidate is right, 0–1
    candidates: tuple[Candidate, ...]  # the top few, best first

    @property
    def nearest_faq_id(self) -> str | None:
        """The best candidate's id, answered or not (what the Questions list records)."""
        return self.candidates[0].faq_id if self.candidates else None

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        """Candidates worth offering as "did you mean" when not answered."""
        return tuple(c for c in self.candidates if c.score >= SUGGEST_THRESHOLD)

    def as_json(self) -> dict[str, object]:
        """The shape `dx-bot faq ask --json` prints."""
        return {"answered": self.answered, "faq_id": self.faq_id, "score": round(self.score, 4),
                "candidates": [{"faq_id": c.faq_id, "score": round(c.score, 4)}
                               for c in self.candidates]}


# What each feature of `Similarity.features` is, for `FaqMatcher.explain` (`dx-bot faq ask --explain`).
FEATURES = ("単語の近さ similarity", "その差 lead", "カバー率 coverage", "項目全体の単語 whole entry", "その差 lead")
MEANING_FEATURES = ("意味の近さ closeness", "その差 lead", "意味の際立ち standing", "その差 lead")


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why the matcher decided as it did about one question."""

    question: str  # as the matcher read it (see `FaqMatcher._read`)
    words: tuple[str, ...]  # the content words it found
    feature_names: tuple[str, ...]
    weights: tuple[float, ...]  # bias, then one per feature
    candidates: tuple[tuple[str, tuple[float, ...], float], ...]  # (FAQ id, features, probability)
    match: "Match"
    threshold: float
    close_ratio: float
    vague: bool


@dataclass(frozen=True, slots=True)
class Similarity:
    """Features of the candidate entries, best first, before calibration (for fitting too)."""

    ids: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]  # `features` of each candidate

    def features(self, i: int) -> tuple[float, ...]:
        """(similarity, its lead over the best other candidate, coverage, similarity of the whole
        entry, its lead[, closeness in meaning, its lead, standing in meaning, its lead])."""
        return self.rows[i]


def _feature_rows(raw: Sequence[tuple[float, ...]]) -> list[tuple[float, ...]]:
    """Adds to each candidate's (similarity, coverage, whole entry[, closeness, standing]) the
    leads over the others (all but coverage)."""
    rows = []
    for i, values in enumerate(raw):
        row: list[float] = []
        for k, v in enumerate(values):
            others = max((r[k] for j, r in enumerate(raw) if j != i), default=0.0)
            row += [v] if k == 1 else [v, v - others]
        rows.append(tuple(row))
    return rows


def calibrate(x: Sequence[float], weights: Sequence[float] = CALIBRATION) -> float:
    """Probability that an entry is right, from `Similarity.features`."""
    z = weights[0] + sum(w * v for w, v in zip(weights[1:], x))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


class _Space:
    """One TF-IDF feature space (words or bigrams) over the index's documents."""

    def __init__(self, docs: Sequence[Counter[str]], owners: Sequence[int], n_entries: int) -> None:
        # Document frequency counts entries, not documents: an entry's alternates repeat words.
        per_entry: dict[int, set[str]] = defaultdict(set)
        for doc, owner in zip(docs, owners):
            per_entry[owner].update(doc)
        df: Counter[str] = Counter()
        for features in per_entry.values():
            df.update(features)
        self._n = n_entries
        self.df = df  # how many entries mention each feature
        self._idf = {f: self._idf_of(d) * Analyzer.weight(f) for f, d in df.items()}
        self._unknown_idf = self._idf_of(0)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, doc in enumerate(docs):
            weights = {f: (1.0 + math.log(tf)) * self._idf[f] for f, tf in doc.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for f, w in weights.items():
                self.postings[f].append((index, w / norm))

    def idf(self, feature: str) -> float:
        """Inverse document frequency; features never seen get the highest."""
        return self._idf.get(feature) or self._unknown_idf * Analyzer.weight(feature)

    def _idf_of(self, df: int) -> float:
        return math.log((self._n + 1) / (df + 0.5))

    def scores(self, feats: Counter[str]) -> dict[int, float]:
        """Cosine of the query with every document that shares a feature."""
        weights = {f: (1.0 + math.log(tf)) * self.idf(f) for f, tf in feats.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        out: dict[int, float] = defaultdict(float)
        if not norm:
            return out
        for f, w in weights.items():
            for doc, dw in self.postings.get(f, ()):
                out[doc] += w / norm * dw
        return out


class FaqMatcher:
    """An immutable index of FAQ entries."""

    def __init__(self, entries: Iterable[FaqEntry], analyzer: Analyzer,
                 encoder: SentenceEncoder | None = None,
                 calibration: Sequence[float] | None = None) -> None:
        """`calibration` replaces the fitted weights (cross-validation scores other fits)."""
        self.analyzer = analyzer
        self.encoder = encoder
        self.entries: dict[str, FaqEntry] = {}
        q_docs: list[Counter[str]] = []
        q_owner: list[int] = []
        a_docs: list[Counter[str]] = []
        for number, entry in enumerate(entries):
            self.entries[entry.faq_id] = entry
            for text in (entry.question, *entry.alternate_questions, _tags_text(entry)):
                if text:
                    q_docs.append(analyzer.features(text))
                    q_owner.append(number)
            a_docs.append(analyzer.features(entry.answer))
        self._ids = list(self.entries)
        n = len(self._ids)
        synonyms = analyzer.synonyms.canonical
        self._reads = functools.lru_cache(maxsize=64)(self._read_uncached)
        # The words staff would ask with: the entries' questions and tags and the synonym file's
        # spellings (an answer's katakana words are too many and too varied).
        self._loanwords = KanaLoanwords([*(t for e in self.entries.values()
                                           for t in (e.question, *e.alternate_questions, e.tags or "")),
                                         *synonyms, *synonyms.values()])
        # ... and a question typed all in kana, read with the words of the questions and tags
        # (an answer's nouns are too many: 昨日, 以内 and 規程 would turn up in ordinary kana).
        self._kana_words = KanaWords(analyzer.readings(
            t for e in self.entries.values() for t in (e.question, *e.alternate_questions, e.tags or "")))
        self._q_owner = q_owner
        self._q_words = _Space([_only(d, "w:") for d in q_docs], q_owner, n)
        self._q_grams = _Space([_only(d, _GRAMS) for d in q_docs], q_owner, n)
        self._a_words = _Space([_only(d, "w:") for d in a_docs], list(range(n)), n)
        # Each entry as one text (its wordings, tags and answer): an FAQ written once per entry
        # says most of what it knows in the answer, and a question that takes its words from
        # both the question and the answer is better told by the whole than by either part.
        whole: list[Counter[str]] = [_only(d, "w:") for d in a_docs]
        for doc, owner in zip(q_docs, q_owner):
            whole[owner].update(_only(doc, "w:"))
        self._whole_words = _Space(whole, list(range(n)), n)
        # Everything each entry mentions anywhere, for coverage (see `similarity`).
        vocab: list[set[str]] = [set(a) for a in a_docs]
        for doc, owner in zip(q_docs, q_owner):
            vocab[owner].update(doc)
        self._vocab = [frozenset(v) for v in vocab]
        if calibration is None:
            calibration = CALIBRATION if encoder is None else CALIBRATION_WITH_MEANING
        self._weights = calibration
        self.answer_threshold = ANSWER_THRESHOLD_WORDS_ONLY if encoder is None else ANSWER_THRESHOLD
        if encoder is not None:
            texts = [[t for t in (e.question, *e.alternate_questions) if t] for e in self.entries.values()]
            self._asked_vectors = encoder.encode([t for ts in texts for t in ts], "query")
            self._answer_vectors = encoder.encode([e.answer for e in self.entries.values()], "passage")
            # Each entry's row of similarities to look at: its wordings', then its answer's (all
            # in one array, asked first), padded with the index of a -inf past the end.
            asked, pad = len(self._asked_vectors), len(self._asked_vectors) + n
            width = max((len(ts) for ts in texts), default=0) + 1
            self._meaning_grid = np.full((n, width), pad, dtype=np.intp)
            start = 0
            for i, ts in enumerate(texts):
                self._meaning_grid[i, :len(ts)] = np.arange(start, start + len(ts))
                self._meaning_grid[i, len(ts)] = asked + i
                start += len(ts)
            self._off_topic_vectors = encoder.encode(off_topic_sentences(), "query")

    def __len__(self) -> int:
        return len(self._ids)

    def _meaning(self, question: str) -> np.ndarray:
        """Per entry, (closeness, standing): how close the question's embedding comes to the
        entry's on an absolute 0–1 scale, and how far that stands above the question's closeness
        to sentences about something else (off_topic.txt), in standard deviations, scaled.
        Casual or long questions sit lower on everything, so the right entry can be unremarkable
        on the absolute scale yet stand well above the off-topic sentences; a question about
        something else stands above nothing. Measured against a fixed set rather than the other
        entries, standing means the same in an FAQ of 45 entries or 1,000."""
        assert self.encoder is not None
        v = self.encoder.encode([question], "query", remember=False)[0]
        sims = np.concatenate([self._asked_vectors @ v, self._answer_vectors @ v - ANSWER_MEANING_GAP, [-np.inf]])
        grid = sims[self._meaning_grid]
        if grid.shape[1] > MEANING_TOP:
            grid = -np.partition(-grid, MEANING_TOP - 1, axis=1)[:, :MEANING_TOP]
        known = np.isfinite(grid)
        best = np.where(known, grid, 0.0).sum(axis=1) / known.sum(axis=1)
        closeness = np.clip((best - MEANING_FLOOR) / (1 - MEANING_FLOOR), 0.0, 1.0)
        off_topic = self._off_topic_vectors @ v
        standing = np.clip((best - off_topic.mean()) / off_topic.std() / STANDING_SCALE, 0.0, None)
        return np.stack([closeness, standing], axis=1)

    def similarity(self, question: str, limit: int | None = CANDIDATES + 1) -> Similarity:
        """Features of the entries worth a look, best first (by calibrated probability)."""
        question, feats = self._read(question)
        if not question:
            return Similarity((), ())  # only a greeting: nothing was asked
        word_feats = _only(feats, "w:")
        best: dict[int, float] = defaultdict(float)
        words = self._q_words.scores(word_feats)
        grams = self._q_grams.scores(_only(feats, _GRAMS))
        for doc in set(words) | set(grams):
            sim = WORD_WEIGHT * words.get(doc, 0.0) + (1 - WORD_WEIGHT) * grams.get(doc, 0.0)
            owner = self._q_owner[doc]
            best[owner] = max(best[owner], sim)
        for entry, sim in self._a_words.scores(word_feats).items():
            best[entry] = max(best[entry], ANSWER_WEIGHT * sim)
        whole = self._whole_words.scores(word_feats)
        shortlist = [e for e, _ in sorted(best.items(), key=lambda kv: -kv[1])[:CANDIDATES * 4]]
        meaning = None
        if self.encoder is not None and self._ids:
            meaning = self._meaning(question)
            # Entries close in meaning are looked at even when they share no word.
            shortlist += [int(e) for e in np.argsort(-meaning[:, 1])[:CANDIDATES * 2]
                          if meaning[e, 0] > 0 and int(e) not in best]
        # Coverage: the share of the question's weight that the entry mentions somewhere (its
        # questions, tags or answer). A paraphrase is mostly covered; a question about
        # something else that shares one word with the FAQ ("市営住宅の募集はいつ") is not.
        weights = {f: self._q_words.idf(f) if f.startswith("w:") else self._q_grams.idf(f)
                   for f in feats}
        total = sum(weights.values()) or 1.0
        raw = []
        for entry in shortlist:
            covered = sum(w for f, w in weights.items() if f in self._vocab[entry]) / total
            lexical = (best.get(entry, 0.0) + COVERAGE_WEIGHT * covered) / (1 + COVERAGE_WEIGHT)
            words_row = (lexical, covered, whole.get(entry, 0.0))
            raw.append(words_row if meaning is None
                       else (*words_row, float(meaning[entry, 0]), float(meaning[entry, 1])))
        rows = _feature_rows(raw)
        ids = [self._ids[e] for e in shortlist]
        calibration = self.weights_for(question)
        order = sorted(range(len(rows)), key=lambda i: (-calibrate(rows[i], calibration), ids[i]))[:limit]
        return Similarity(tuple(ids[i] for i in order), tuple(rows[i] for i in order))

    def weights_for(self, question: str) -> Sequence[float]:
        """The calibration a question is scored with (as read: greetings dropped): English ones
        by meaning alone."""
        return CALIBRATION_ENGLISH if self._english(question) else self._weights

    def _english(self, question: str) -> bool:
        return self.encoder is not None and english(self._read(question)[0])

    def _read(self, question: str) -> tuple[str, Counter[str]]:
        """The question as the matcher reads it (pleasantries dropped, hiragana loanwords in
        katakana, a question typed all in kana in the FAQ's words) and its features; the last
        few are remembered, as a turn reads it twice."""
        return self._reads(question)

    def _read_uncached(self, question: str) -> tuple[str, Counter[str]]:
        read = self._kana_words.apply(self._loanwords.apply(strip_pleasantries(question)))
        return read, (self.analyzer.features(read) if read else Counter())

    def vague(self, question: str, score: float = 0.0) -> bool:
        """Names VAGUE_WORDS things or fewer, each of which several entries speak of, and the
        best entry is not near certain anyway (「異動したらどうなる？」 is 0.99 for one entry
        although two others mention 異動 in passing)."""
        if score >= VAGUE_CERTAIN:
            return False
        words = {f for f in self._read(question)[1] if f.startswith("w:") and f[2:] not in GENERIC_WORDS}
        return 0 < len(words) <= VAGUE_WORDS and all(self._q_words.df.get(w, 0) >= VAGUE_DF for w in words)

    def explain(self, question: str) -> Explanation:
        """The features and probability of the top candidates, and the decision they make."""
        read, feats = self._read(question)
        sim = self.similarity(question)
        names = FEATURES + (MEANING_FEATURES if self.encoder is not None else ())
        weights = tuple(self.weights_for(question))
        rows = tuple((faq_id, sim.features(i), calibrate(sim.features(i), weights))
                     for i, faq_id in enumerate(sim.ids[:CANDIDATES]))
        words = tuple(f[2:] for f in feats if f.startswith("w:"))
        return Explanation(read, words, names, weights, rows, self.match(question),
                           ENGLISH_THRESHOLD if self._english(question) else self.answer_threshold, CLOSE_RATIO,
                           self.vague(question, rows[0][2] if rows else 0.0))

    def match(self, question: str) -> Match:
        """The entry to answer with (if any), its probability and the runners-up."""
        sim = self.similarity(question)
        if not sim.ids:
            return Match(False, None, 0.0, ())
        # Each candidate's probability counts its lead over the best other one, so two
        # near-equal entries both come out unsure (and become "did you mean").
        weights = self.weights_for(question)
        scores = [calibrate(sim.features(i), weights) for i in range(min(CANDIDATES, len(sim.ids)))]
        # At most one entry is right, so the probabilities cannot add up to more than 1.
        total = max(1.0, sum(scores))
        candidates = [Candidate(faq_id, p / total) for faq_id, p in zip(sim.ids, scores)]
        top = candidates[0]
        close = len(candidates) > 1 and candidates[1].score >= CLOSE_RATIO * top.score
        threshold = ENGLISH_THRESHOLD if self._english(question) else self.answer_threshold
        answered = top.score >= threshold and not close and not self.vague(question, top.score)
        return Match(answered, top.faq_id if answered else None, top.score, tuple(candidates))


@functools.cache
def off_topic_sentences() -> tuple[str, ...]:
    """The packaged off_topic.txt: the fixed reference that meaning's standing is measured against."""
    text = resources.files("bot.faq").joinpath("off_topic.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


_GRAMS = ("c:", "r:")  # bigrams of what was typed and of how it reads share one space


def _only(feats: Counter[str], prefix: str | tuple[str, ...]) -> Counter[str]:
    return Counter({f: n for f, n in feats.items() if f.startswith(prefix)})


def _tags_text(entry: FaqEntry) -> str:
    return " ".join(t.strip() for t in (entry.tags or "").replace("、", ",").split(",") if t.strip())


# Words that make a run of Latin words a sentence in English rather than a list of product names
# (「Excel VBA」, 「OneDrive sync error」 are Japanese questions about products).
_ENGLISH_GRAMMAR = frozenset({"how", "what", "when", "where", "why", "who", "which", "can", "could", "do", "does",
                              "did", "is", "are", "was", "i", "my", "me", "we", "our", "you", "your", "should",
                              "to", "the", "a", "an", "of", "for", "with", "it", "there", "please", "have", "has"})


def english(question: str) -> bool:
    """A sentence in English: three Latin words or more, one of them grammar (how, can, my …),
    and Latin letters most of what was typed (a product name in a Japanese question does not
    make it English)."""
    folded = unicodedata.normalize("NFKC", question)
    words = _LATIN_WORD.findall(folded) + re.findall(r"\b[Ii]\b", folded)
    letters = sum(len(w) for w in words)
    typed = sum(1 for c in folded if not c.isspace() and c.isprintable())
    return (len(words) >= 3 and any(w.lower() in _ENGLISH_GRAMMAR for w in words)
            and letters >= 0.7 * max(1, typed))
