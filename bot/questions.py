"""Questions the bot could not answer, and what staff said of its answers, in the Questions list.

The DX division reads that list: an unanswered question is 未回答, one sent to a person is
回答待ち, feedback is kept with the FAQ entry it was about.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

from liststore import ListStore, Upsert

if TYPE_CHECKING:
    from bot.turn import Turn

QUESTIONS_LIST = "Questions"
CHOSEN = "候補から選択"  # 評価 of a pick from "did you mean": a person matched a wording to an entry
PROMOTED = "FAQ化"  # 状態 once the question's wording (or its answer) is in the FAQ
Clock = Callable[[], datetime]


class Pick(NamedTuple):
    """One recorded "did you mean" pick: the question item, what was asked, the entry chosen."""

    question_id: str
    text: str
    faq_id: str


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class QuestionLog:
    """Writes to the Questions list; every write is one item, keyed by a fresh question id."""

    def __init__(self, store: ListStore, clock: Clock = _utc_now) -> None:
        self._store = store
        self._clock = clock

    def _new_id(self) -> str:
        return f"Q-{self._clock():%Y%m%d}-{secrets.token_hex(3).upper()}"

    def _asked(self, asked_by: str, text: str, faq_id: str | None, score: float | None) -> dict[str, object]:
        """The columns every recorded question has: what was asked, by whom, when, and the
        FAQ entry that came nearest (or was chosen)."""
        return {"Title": text[:255], "QuestionText": text, "AskedBy": asked_by,
                "AskedAt": self._clock().isoformat(timespec="seconds"), "MatchedFaqId": faq_id,
                "MatchScore": None if score is None else round(score, 4)}

    async def _write(self, question_id: str, fields: dict[str, object]) -> None:
        [result] = await self._store.upsert(QUESTIONS_LIST, [Upsert(question_id, fields)])
        if not result.ok:
            raise RuntimeError(f"could not record question {question_id}: {result.error}")

    async def unanswered(self, asked_by: str, text: str, faq_id: str | None, score: float) -> str:
        """Record a question the FAQ had no answer for; returns its id."""
        question_id = self._new_id()
        await self._write(question_id, {**self._asked(asked_by, text, faq_id, score), "Status": "未回答"})
        return question_id

    async def feedback(self, asked_by: str, text: str, faq_id: str, score: float, helpful: bool) -> str:
        """Record what someone thought of an answer; returns the question id."""
        question_id = self._new_id()
        await self._write(question_id, {
            # A click on a card that carried no question text still records which entry it was.
            **self._asked(asked_by, text or faq_id, faq_id, score),
            "Feedback": "役に立った" if helpful else "解決しない",
            # A helpful answer needs nothing more; an unhelpful one is a question still open.
            "Status": "クローズ" if helpful else "未回答",
        })
        return question_id

    async def chosen(self, asked_by: str, text: str, faq_id: str) -> str:
        """Record that someone picked `faq_id` from "did you mean" for `text`: the bot was unsure
        and a person settled it, so the wording is a ready-made alternate for that entry."""
        question_id = self._new_id()
        await self._write(question_id, {**self._asked(asked_by, text, faq_id, None),
                                        "Feedback": CHOSEN, "Status": "クローズ"})
        return question_id

    async def picks(self) -> list[Pick]:
        """Every "did you mean" pick not yet FAQ化."""
        return [Pick(item.key, str(f.get("QuestionText") or ""), str(f["MatchedFaqId"]))
                async for page in self._store.pages(QUESTIONS_LIST) for item in page
                if (f := item.fields).get("Feedback") == CHOSEN and f.get("Status") != PROMOTED
                and f.get("MatchedFaqId")]

    async def promoted(self, question_ids: Sequence[str]) -> int:
        """Mark questions whose wording the FAQ now has as FAQ化; returns how many were written."""
        if not question_ids:
            return 0
        results = await self._store.upsert(QUESTIONS_LIST, [Upsert(q, {"Status": PROMOTED}) for q in question_ids])
        return sum(r.ok for r in results)

    async def escalate(self, question_id: str) -> bool:
        """Mark a recorded question as waiting for a person; False when it does not exist."""
        item = await self._store.get(QUESTIONS_LIST, question_id)
        if item is None:
            return False
        if item.fields.get("Status") == "未回答":
            await self._write(question_id, {"Status": "回答待ち"})
        return True


def asker(turn: Turn) -> str:
    """Who asked, as the Questions list records it: the Entra object id when Teams gives it."""
    return turn.sender.aad_object_id or turn.sender.id
