"""An FAQ entry, the FAQ list it lives in, and the FAQ the product ships with."""

from __future__ import annotations

from dataclasses import dataclass

from config.packaged import packaged_toml

FAQ_LIST = "FAQ"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and its answer."""

    faq_id: str
    question: str
    alternate_questions: tuple[str, ...]
    answer: str
    category: str | None
    tags: str | None
    source_url: str | None

    def fields(self) -> dict[str, object]:
        """The FAQ list's columns for this entry."""
        return {
            "Title": self.question,
            "AlternateQuestions": "\n".join(self.alternate_questions) or None,
            "Answer": self.answer,
            "Category": self.category,
            "Tags": self.tags,
            "SourceUrl": self.source_url,
            "IsPublished": True,
        }


def seed_entries() -> list[FaqEntry]:
    """The FAQ the product ships with (config/faq_seed.toml)."""
    return entries_from(packaged_toml("faq_seed.toml"))


def entries_from(data: dict) -> list[FaqEntry]:
    """The entries of an FAQ in the seed file's shape (a `[[faq]]` table each)."""
    return [FaqEntry(f["id"], f["question"], tuple(f.get("alternate_questions", [])), f["answer"],
                     f.get("category"), f.get("tags"), f.get("source_url"))
            for f in data["faq"]]
