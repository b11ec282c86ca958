"""What every feature's card actions share: the pydantic base of their data, and reading back
the card an action came from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.router import Refused
from bot.sent_cards import CARD_ID_PATTERN, SentCard, SentCards

# The longest message the bot takes as a question (Teams allows about 28 KB; a question is a
# sentence or two).
MAX_QUESTION_CHARS = 2000


class CardData(BaseModel):
    """Data a card sends back with an action; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class FromSentCard(CardData):
    """An action on a card the bot remembers: the card's id is all it carries of its own."""

    card_id: str = Field(alias="cardId", pattern=CARD_ID_PATTERN)


class NotYours(Refused):
    """Someone pressed a button on a card that answers another person's question (a channel or
    group chat): what it records would be put in that person's name."""

    message = "not_yours"


async def sent_card(cards: SentCards, data: FromSentCard, kind: str, clicker: str,
                    not_yours: str = "not_yours") -> SentCard | None:
    """The card the action came from, when the bot sent it and it is of this kind; NotYours
    (told as `not_yours`) when it was someone else's."""
    card = await cards.get(data.card_id)
    if card is None or card.kind != kind:
        return None
    if card.asker != clicker:
        raise NotYours(card.card_id, message=not_yours)
    return card
