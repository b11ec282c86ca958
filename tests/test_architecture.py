"""Imports run one way (docs/architecture.md): config → tabular and azurestore → liststore →
graph_sync and bot side by side. An import against that direction fails here, wherever it stands in a module (in a
function or behind TYPE_CHECKING too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each product package and the product packages it may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "config": frozenset(),
    "tabular": frozenset(),
    "cards": frozenset(),
    "azurestore": frozenset({"config"}),
    "liststore": frozenset({"config", "azurestore"}),
    "graph_sync": frozenset({"config", "tabular", "liststore", "azurestore"}),
    "bot": frozenset({"config", "tabular", "liststore", "cards", "azurestore"}),
}


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.lineno, node.module))
    return out


def violations(root: Path) -> list[str]:
    """Every import in a product package of a product package it may not import."""
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in _imported(tree):
                top = module.split(".")[0]
                if top in ALLOWED and top != package and top not in allowed:
                    found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_imports_run_one_way() -> None:
    assert violations(ROOT) == []


def test_an_import_against_the_direction_is_caught(tmp_path: Path) -> None:
    cases = {
        "graph_sync/seed.py": "from bot.faq.importer import seed_entries\n",
        "liststore/hook.py": "def f():\n    import graph_sync.engine\n",
        "tabular/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from liststore import Item\n",
        "bot/y.py": "import graph_sync\n",
        "config/z.py": "from tabular import read_table\n",
    }
    for name, source in cases.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source, encoding="utf-8")
    (tmp_path / "bot" / "fine.py").write_text("from liststore import Item\nimport cards\n", encoding="utf-8")
    found = violations(tmp_path)
    assert len(found) == len(cases), found
    assert not any("fine.py" in f for f in found)
