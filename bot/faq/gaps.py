"""What the FAQ does not answer yet, for the DX division to write entries for.

From the Questions list: questions the bot had no answer for, 「どれでもない」 on a "did you mean"
card and answers rated 「解決しない」 (everything but picks, helpful answers and what is FAQ化
already). Questions that mean the same are grouped, by the FAQ's own text features (Sudachi
words, character bigrams, readings) and TF-IDF cosine over the questions themselves, and the
groups are ranked by how many different people asked, then how often: what many people miss is
what to write first. Each group names the existing entry that came nearest. Separately: the
entries people rated unhelpful. Question text in the list is stored masked (tabular/privacy.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

from bot.faq.analyzer import Analyzer
from bot.faq.entry import FaqEntry
from bot.questions import CHOSEN, HELPFUL, NOT_HELPFUL, PROMOTED, QUESTIONS_LIST
from liststore import Item, ListStore
from tabular.reports import Document, Table

SAME_MEANING = 0.35  # cosine from which two questions are taken as the same question
EXAMPLES = 3
TOP_GROUPS = 50


@dataclass
class Gap:
    """Questions that mean the same, as asked."""

    wordings: list[str] = field(default_factory=list)
    askers: set[str] = field(default_factory=set)
    nearest: Counter[str] = field(default_factory=Counter)
    last_asked: str = ""
    vector: Counter[str] = field(default_factory=Counter)


@dataclass
class Gaps:
    since: str | None
    questions: int = 0
    groups: list[Gap] = field(default_factory=list)
    unhelpful: list[tuple[str, int, int]] = field(default_factory=list)  # (faq id, times, people)
    entries: Mapping[str, FaqEntry] = field(default_factory=dict)


def _is_gap(fields: Mapping[str, object]) -> bool:
    return fields.get("Feedback") not in (CHOSEN, HELPFUL) and fields.get("Status") != PROMOTED


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


async def collect_gaps(store: ListStore, analyzer: Analyzer, entries: Mapping[str, FaqEntry],
                       since: str | None) -> Gaps:
    """Read the Questions list (asked on or after `since`, a YYYY-MM-DD day) and group it."""
    items: list[Item] = [i async for page in store.pages(QUESTIONS_LIST) for i in page
                         if since is None or str(i.fields.get("AskedAt") or "") >= since]
    gaps = Gaps(since, entries=entries)
    asked = sorted((i for i in items if _is_gap(i.fields)), key=lambda i: str(i.fields.get("AskedAt") or ""))
    gaps.questions = len(asked)
    features = [analyzer.features(str(i.fields.get("QuestionText") or "")) for i in asked]
    documents = Counter(f for feats in features for f in set(feats))
    n = len(features) or 1
    for item, feats in zip(asked, features):
        vector = Counter({f: c * (math.log((1 + n) / (1 + documents[f])) + 1) for f, c in feats.items()})
        best = max(gaps.groups, key=lambda g: _cosine(vector, g.vector), default=None)
        if best is None or _cosine(vector, best.vector) < SAME_MEANING:
            best = Gap()
            gaps.groups.append(best)
        best.wordings.append(str(item.fields.get("QuestionText") or ""))
        best.askers.add(str(item.fields.get("AskedBy") or ""))
        if item.fields.get("FaqId"):
            best.nearest[str(item.fields["FaqId"])] += 1
        best.last_asked = max(best.last_asked, str(item.fields.get("AskedAt") or ""))
        best.vector.update(vector)
    gaps.groups.sort(key=lambda g: (-len(g.askers), -len(g.wordings), g.wordings[0]))
    rated: dict[str, tuple[int, set[str]]] = {}
    for item in items:
        if item.fields.get("Feedback") == NOT_HELPFUL and item.fields.get("FaqId"):
            times, people = rated.get(str(item.fields["FaqId"]), (0, set()))
            rated[str(item.fields["FaqId"])] = (times + 1, people | {str(item.fields.get("AskedBy") or "")})
    gaps.unhelpful = sorted(((f, t, len(p)) for f, (t, p) in rated.items()), key=lambda r: (-r[2], -r[1], r[0]))
    return gaps


def _other_wordings(gap: Gap) -> list[str]:
    """A few other ways the group's question was put (each once)."""
    return [w for w in dict.fromkeys(gap.wordings[1:]) if w != gap.wordings[0]][:EXAMPLES]


def document(gaps: Gaps) -> Document:
    """The groups and the unhelpful entries, as tabular/reports.py writes them."""

    def entry(faq_id: str) -> str:
        found = gaps.entries.get(faq_id)
        return f"{faq_id} {found.question}" if found else faq_id

    groups = [[str(n), g.wordings[0], str(len(g.wordings)), str(len(g.askers)),
               entry(g.nearest.most_common(1)[0][0]) if g.nearest else "-",
               "\n".join(_other_wordings(g)), g.last_asked[:10]]
              for n, g in enumerate(gaps.groups[:TOP_GROUPS], 1)]
    rated = [[entry(f), str(times), str(people)] for f, times, people in gaps.unhelpful]
    since = f"{gaps.since} 以降" if gaps.since else "すべての期間"
    return Document(
        "FAQ にない質問", [("対象", since), ("質問数", str(gaps.questions)), ("まとまり", str(len(gaps.groups)))],
        [Table("まだ FAQ にない質問（質問した人の多い順）",
               ["順位", "質問", "件数", "質問した人", "最も近い FAQ", "ほかの言い方", "最後に聞かれた日"], groups),
         Table("「解決しない」と評価された FAQ", ["FAQ", "回数", "人数"], rated)],
        note="同じ意味の質問をまとめ、質問した人の多い順に並べています。電話番号・個人番号・メールアドレスは伏せてあります。")
