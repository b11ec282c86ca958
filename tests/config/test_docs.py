"""Every setting the code reads is documented where operators look."""

from __future__ import annotations

from pathlib import Path

from config.settings import environment_names

ROOT = Path(__file__).resolve().parents[2]


def test_readme_and_example_env_document_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / "config" / "settings.example.env").read_text(encoding="utf-8")
    for name in environment_names():
        assert f"`{name}`" in readme, name
        assert f"{name}=" in example, name
