"""What every feature's card actions share: the pydantic base of their data."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# The longest message the bot takes as a question (Teams allows about 28 KB; a question is a
# sentence or two).
MAX_QUESTION_CHARS = 2000


class CardData(BaseModel):
    """Data a card sends back with an action; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
