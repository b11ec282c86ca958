"""The TOML files that ship inside the `config` package (faq_seed.toml, kpi.toml, sync.toml …)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


def packaged_toml(name: str, path: Path | None = None) -> dict[str, Any]:
    """config/`name` as shipped, or the file at `path` when a setting names one instead."""
    raw = path.read_text("utf-8") if path else resources.files("config").joinpath(name).read_text("utf-8")
    return tomllib.loads(raw)
