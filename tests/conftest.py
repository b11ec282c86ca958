"""Shared fixtures: a clean environment so the developer's own DX_* variables never leak in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.fakes.azurite import Azurite, AzuriteProcess

# FAQ sentence vectors are cached across tests and runs (gitignored): every bot the tests start
# embeds the same FAQ, and embedding is the slow part (~10 ms a text). A clean checkout fills it once.
EMBEDDING_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "faq-embeddings.sqlite3"


@pytest.fixture(autouse=True)
def _clean_dx_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in list(os.environ):
        if name.startswith("DX_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DX_FAQ_EMBEDDING_CACHE", str(EMBEDDING_CACHE))
    # pydantic-settings reads .env from the working directory; tests run where none exists.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """Azure Storage's emulator on 127.0.0.1 for the whole run (tests keep apart by name prefix)."""
    process = AzuriteProcess()
    yield process.azurite
    process.stop()
