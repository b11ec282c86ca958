"""The proposal form as typed, and the checks a proposal must pass before it is filed.

What a person types is kept exactly as typed (`Draft`), so a form that comes back with an error
shows their words, not ours. `check` turns a draft into a `Proposal` or says, per field, what
to fix; messages are keys of bot/messages.py with their values filled in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any, Mapping

from config.proposals import ProposalConfig

PROPOSAL, REPORT = "業務改善提案", "業務改善報告"
KINDS = (PROPOSAL, REPORT)
# A link ends at white space and at the punctuation a Japanese sentence puts after it.
_URL = re.compile(r"https://[^\s<>\"'`、，,。（）()「」［］\[\]]+", re.IGNORECASE)
_ANY_URL = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_HOURS = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?")
# Control characters (but line breaks and tabs), bidirectional overrides and lone surrogates: a
# title must read the same in Teams, in the list and in Excel as it did on the form.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Draft:
    """The form's inputs exactly as typed (every one a string; empty when left blank)."""

    title: str = ""
    problem: str = ""
    idea: str = ""
    effect: str = ""
    hours: str = ""
    category: str = ""
    kind: str = PROPOSAL
    co_proposers: str = ""
    links: str = ""

    @classmethod
    def from_inputs(cls, data: Mapping[str, Any], max_chars: int = 20_000) -> "Draft":
        """The inputs a card sent back; anything else it carried is ignored, and every value is
        cut at `max_chars` (a client is not a form, and can send anything)."""
        values: dict[str, str] = {}
        for f in fields(cls):
            raw = data.get(f.name)
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                continue  # an input sends text (a number at most); a list or an object is not one
            values[f.name] = _INVISIBLE.sub("", str(raw))[:max_chars]
        return cls(**values)

    @classmethod
    def from_saved(cls, saved: Mapping[str, Any] | None) -> "Draft":
        return cls.from_inputs(saved or {})

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return not any(v.strip() for k, v in self.as_dict().items() if k != "kind")


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposal that passed every check."""

    title: str
    problem: str
    idea: str
    effect: str
    hours: float | None
    category: str
    kind: str
    co_proposers: str
    links: tuple[str, ...]

    @property
    def text(self) -> str:
        """What similar proposals are looked up by."""
        return f"{self.title}\n{self.problem}\n{self.idea}"


Problems = dict[str, tuple[str, dict[str, Any]]]  # field -> (message key, values for it)


def check(draft: Draft, config: ProposalConfig) -> tuple[Proposal | None, Problems]:
    """The proposal, or what to fix in which field (nothing is filed until it is empty)."""
    limits = config.limits
    problems: Problems = {}

    def text(name: str, limit: int, required: bool) -> str:
        value = getattr(draft, name).strip()
        if required and not value:
            problems[name] = ("p_required", {})
        elif len(value) > limit:
            problems[name] = ("p_too_long", {"limit": limit, "length": len(value)})
        return value

    title = " ".join(text("title", limits.title, True).split())  # one line
    problem = text("problem", limits.text, True)
    idea = text("idea", limits.text, True)
    effect = text("effect", limits.text, False)
    co_proposers = text("co_proposers", limits.co_proposers, False)
    hours = _hours(draft.hours)
    if isinstance(hours, str) or (hours is not None and not 0 <= hours <= limits.hours):
        problems["hours"] = ("p_hours_bad", {"max": limits.hours})
    category = offered_category(config, draft.category)
    if category is None:
        problems["category"] = ("p_category_bad", {})
    kind = draft.kind.strip() or PROPOSAL
    if kind not in KINDS:
        problems["kind"] = ("p_kind_bad", {})
    links = tuple(dict.fromkeys(_URL.findall(draft.links)))
    leftover = _URL.sub(" ", draft.links)
    if _ANY_URL.search(leftover) or any(w not in "、，,。（）()「」［］[]" for w in leftover.split()):
        problems["links"] = ("p_links_bad", {})
    elif len(links) > limits.links:
        problems["links"] = ("p_links_many", {"max": limits.links})
    if problems:
        return None, problems
    assert not isinstance(hours, str)  # a bad number is a problem above
    assert category is not None  # an unknown category is a problem above
    return Proposal(title, problem, idea, effect, hours, category, kind, co_proposers, links), {}


def offered_category(config: ProposalConfig, typed: str) -> str | None:
    """The offered category `typed` means, whatever its width (ＲＰＡ・自動化 is RPA・自動化)."""
    folded = unicodedata.normalize("NFKC", typed.strip())
    return next((c for c in config.categories if unicodedata.normalize("NFKC", c) == folded), None)


def hours_text(value: float) -> str:
    """Hours as a person writes them (120, 1234.5678, 0.00001), never in exponent form, so that
    a value shown on a card reads back as the same value."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _hours(typed: str) -> float | None | str:
    """Hours a year as people type them: 120, １２０, 1,200, 120時間, 120h, 約120; None when blank,
    "bad" when it is not a number."""
    folded = unicodedata.normalize("NFKC", typed).strip()
    if not folded:
        return None
    folded = re.sub(r"^(約|およそ|年間?)\s*", "", folded)
    folded = re.sub(r"\s*(時間|h|hours?)\s*(/年|/year)?$", "", folded, flags=re.IGNORECASE)
    if not _HOURS.fullmatch(folded):
        return "bad"  # 1,2,3 is not a number; 1,200 is
    return float(folded.replace(",", ""))
