"""The sync configuration: which export feeds which list, and how its columns are spelled."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from config.packaged import packaged_toml
from graph_sync.cron import Cron
from tabular.normalize import fold
from tabular.reader import ENCODINGS


class ResourceMapping(BaseModel):
    """One export → one list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    list: str
    source: Literal["file", "entra_groups"] = "file"
    file: str = ""
    groups: dict[str, str] = Field(default_factory=dict)  # entra_groups: tier -> group id
    encoding: str = "auto"
    missing: Literal["deactivate", "delete", "keep"] = "keep"
    deactivate: dict[str, Any] = Field(default_factory=dict)
    columns: dict[str, builtins.list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Spellings folded once; canonical_value runs for every cell of every export.
    _folded_values: dict[str, dict[str, str]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
        self._folded_values = {
            name: {fold(k): v for k, v in spellings.items()} for name, spellings in self.values.items()
        }

    @model_validator(mode="after")
    def _consistent(self) -> "ResourceMapping":
        if self.encoding not in ENCODINGS:
            raise ValueError(f"{self.name}: encoding must be one of {', '.join(ENCODINGS)}")
        if self.source == "file" and not (self.file and self.columns):
            raise ValueError(f"{self.name}: a file source needs `file` and `columns`")
        if self.source == "entra_groups" and not self.groups:
            raise ValueError(f"{self.name}: an entra_groups source needs `groups` (tier = group id)")
        if self.missing == "deactivate" and not self.deactivate:
            raise ValueError(f"{self.name}: missing = 'deactivate' needs `deactivate` fields")
        return self

    def header_for(self, field: str, header: tuple[str, ...]) -> str | None:
        """The header in this export that carries `field`, if any."""
        present = {fold(h): h for h in header}
        for spelling in self.columns.get(field, []):
            if fold(spelling) in present:
                return present[fold(spelling)]
        return None

    def canonical_value(self, field: str, raw: str) -> str:
        """The list's spelling of a value (e.g. 修了済 → 修了); unknown spellings pass through."""
        spellings = self._folded_values.get(field)
        if not spellings:
            return raw
        return spellings.get(fold(raw), raw)


class SyncSettings(BaseModel):
    """Run-wide sync settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_removal_share: float = Field(0.05, ge=0, le=1)
    max_column_empty_share: float = Field(0.2, ge=0, le=1)
    max_column_change_share: float = Field(0.5, ge=0, le=1)
    first_cohort_fiscal_year: int = 2021


class JobConfig(BaseModel):
    """A scheduled job: resources that run together, and when (cron, JST)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    cron: str
    resources: list[str] = Field(min_length=1)
    kpi: bool = False  # after a successful run, compute the KPIs into the KPI list (dx-sync kpi)

    @model_validator(mode="after")
    def _cron_parses(self) -> "JobConfig":
        Cron.parse(self.cron)
        return self


class SyncConfig(BaseModel):
    """The whole of `config/sync.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: SyncSettings = SyncSettings()
    resources: list[ResourceMapping]
    jobs: list[JobConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _jobs_name_resources(self) -> "SyncConfig":
        known = {r.name for r in self.resources}
        for job in self.jobs:
            unknown = [r for r in job.resources if r not in known]
            if unknown:
                raise ValueError(f"job {job.name}: unknown resources {', '.join(unknown)}")
        return self

    def selection(self, name: str | None) -> tuple[str, list[str] | None]:
        """(job name, resources) for `--job NAME`: a job, or one resource; None means all."""
        if name is None:
            return "all", None
        for job in self.jobs:
            if job.name == name:
                return job.name, list(job.resources)
        if any(r.name == name for r in self.resources):
            return name, [name]
        raise KeyError(
            f"unknown job {name!r}; jobs: {', '.join(j.name for j in self.jobs) or '-'}; "
            f"resources: {', '.join(r.name for r in self.resources)}"
        )

    def resource(self, name: str) -> ResourceMapping:
        """The resource called `name`; KeyError lists the known names."""
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(f"unknown resource {name!r}; known: {', '.join(r.name for r in self.resources)}")


def load_sync_config(path: Path | None = None) -> SyncConfig:
    """`config/sync.toml`, or the file at `path`."""
    return SyncConfig.model_validate(packaged_toml("sync.toml", path))
