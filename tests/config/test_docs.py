"""Every setting the code reads is documented where operators look."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from config.settings import environment_names

ROOT = Path(__file__).resolve().parents[2]


def test_readme_and_example_env_document_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / "config" / "settings.example.env").read_text(encoding="utf-8")
    for name in environment_names():
        assert f"`{name}`" in readme, name
        assert f"{name}=" in example, name


# How the work was organised is not the product: docs, comments and data speak of what the
# product does. These are the forms such text takes.
WORK_TALK = re.compile(
    r"\bsession \d|\bsessions? of\b|\bissue \d+|\bissues? add|\blater issues?\b|\bnext issue\b"
    r"|\b(?:escalation|personal-status|multi-instance|proposals?) work\b|\bUntil \d{4}-\d\d-\d\d"
    r"|\bin the order it happened\b|\bSTYLE\.md\b|\btracker\b",
    re.IGNORECASE)


def _prose_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    suffixes = {".md", ".py", ".toml", ".json", ".txt", ".env", ".yml", ".csv", ".tsv"}
    return [ROOT / name for name in tracked.stdout.splitlines()
            if Path(name).suffix in suffixes and not name.startswith(("playground/", "tests/cards/js/"))
            and name != "tests/config/test_docs.py"]


def test_nothing_speaks_of_how_the_work_was_organised() -> None:
    found = []
    for path in _prose_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if WORK_TALK.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert found == []
