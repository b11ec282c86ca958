"""Deadlines of required courses and when to remind staff of them (config/training.toml)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.packaged import packaged_toml

_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def _month_day(value: str) -> str:
    if not _MONTH_DAY.match(value):
        raise ValueError(f"{value!r} is not a month-day like 01-31")
    try:
        date(2000, *map(int, value.split("-")))  # a leap year: 02-29 is allowed, 02-30 is not
    except ValueError:
        raise ValueError(f"{value!r} is no day of the year") from None
    return value


class Deadlines(BaseModel):
    model_config = ConfigDict(extra="allow")
    default: str = "01-31"

    @field_validator("*")
    @classmethod
    def _checked(cls, value: str) -> str:
        return _month_day(value)

    @model_validator(mode="after")
    def _courses_checked(self) -> "Deadlines":
        for code, value in (self.model_extra or {}).items():
            if not isinstance(value, str):
                raise ValueError(f"{code}: {value!r} is not a month-day like \"01-31\"")
            try:
                _month_day(value)
            except ValueError as exc:
                raise ValueError(f"{code}: {exc}") from None
        return self

    def of(self, course_code: str, fiscal_year: int) -> date:
        """The day `course_code` is due in `fiscal_year` (April of that year to March of the next)."""
        spelled = (self.model_extra or {}).get(course_code, self.default)
        month, day = map(int, _month_day(str(spelled)).split("-"))
        year = fiscal_year if month >= 4 else fiscal_year + 1
        try:
            return date(year, month, day)
        except ValueError:  # 02-29 in a common year
            return date(year, month, 28)


class Nudges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days_before: int = Field(14, ge=1, le=120)
    hour: int = Field(9, ge=0, le=23)  # the sweep runs from this hour (Japan time) on


class TrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deadlines: Deadlines = Deadlines()
    nudges: Nudges = Nudges()


@lru_cache(maxsize=4)
def load_training_config(path: Path | None = None) -> TrainingConfig:
    """The packaged config/training.toml, or the division's file (DX_TRAINING_FILE)."""
    return TrainingConfig.model_validate(packaged_toml("training.toml", path))
