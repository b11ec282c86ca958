"""The FAQ evaluation set stays honest: complete, big enough, and never copied from the FAQ."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.faq.importer import seed_entries
from bot.faq.text import Synonyms, normalise

EVAL = Path(__file__).parent / "data" / "faq_eval.toml"


def test_the_evaluation_set_covers_every_entry_and_copies_none() -> None:
    data = tomllib.loads(EVAL.read_text(encoding="utf-8"))
    seed = {e.faq_id: e for e in seed_entries()}
    in_scope = data["in_scope"]
    assert set(in_scope) == set(seed)
    assert sum(len(qs) for qs in in_scope.values()) >= 150
    assert all(len(qs) >= 3 for qs in in_scope.values())
    assert len(data["out_of_scope"]["questions"]) >= 30
    synonyms = Synonyms.load()
    for faq_id, questions in in_scope.items():
        known = {normalise(q, synonyms) for q in [seed[faq_id].question, *seed[faq_id].alternate_questions]}
        for q in questions:
            assert normalise(q, synonyms) not in known, (faq_id, q)
    everything = [q for qs in in_scope.values() for q in qs] + data["out_of_scope"]["questions"]
    assert len(everything) == len(set(everything))
