"""What the proposal card offers and accepts (config/proposals.toml)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from config.packaged import packaged_toml


class ProposalLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: int = Field(80, gt=0)
    text: int = Field(2000, gt=0)
    co_proposers: int = Field(200, gt=0)
    links: int = Field(5, ge=0)
    hours: int = Field(100000, gt=0)


class SimilarSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    show: int = Field(3, ge=0, le=10)
    min_similarity: float = Field(0.3, ge=0, le=1)


class ProposalConfig(BaseModel):
    """Categories in card order, input limits, and when a proposal counts as similar."""

    model_config = ConfigDict(extra="forbid")
    categories: tuple[str, ...] = Field(min_length=1)
    faq_categories: tuple[str, ...] = ()
    limits: ProposalLimits = ProposalLimits()
    similar: SimilarSettings = SimilarSettings()


@lru_cache(maxsize=1)
def load_proposal_config() -> ProposalConfig:
    return ProposalConfig.model_validate(packaged_toml("proposals.toml"))
