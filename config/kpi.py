"""The KPI targets (config/kpi.toml)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from config.packaged import packaged_toml


class LeaderPath(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_fiscal_year: int = Field(2021, ge=2000, le=2100)
    per_year: int = Field(20, gt=0)
    total: int = Field(100, gt=0)

    def target(self, fiscal_year: int) -> int:
        """Leaders trained by the end of `fiscal_year`, as planned (0 before the first cohort)."""
        return max(0, min(self.total, self.per_year * (fiscal_year - self.first_fiscal_year + 1)))


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_percent: float = Field(100, gt=0, le=100)


class ProposalGrowth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    growth_percent: float = Field(30, ge=0, le=1000)


class KpiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    leaders: LeaderPath = LeaderPath()
    ladder: dict[str, int] = Field(default_factory=lambda: {"DX推進リーダー": 10, "DXアドバイザー": 40,
                                                            "デジタル行政推進リーダー": 100, "一般職員": 2000})
    completion: Completion = Completion()
    proposals: ProposalGrowth = ProposalGrowth()


@lru_cache(maxsize=1)
def load_kpi_config() -> KpiConfig:
    return KpiConfig.model_validate(packaged_toml("kpi.toml"))
