"""Shared fixtures: a clean environment so the developer's own DX_* variables never leak in."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_dx_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in list(os.environ):
        if name.startswith("DX_"):
            monkeypatch.delenv(name)
    # pydantic-settings reads .env from the working directory; tests run where none exists.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
