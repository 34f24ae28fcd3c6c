"""Packages import in one direction only: each may use the layers below it and nothing above."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BELOW: dict[str, set[str]] = {
    "liquidity": set(),
    "intents": {"liquidity"},
    "auction": {"liquidity", "intents"},
    "solvers": {"liquidity", "intents", "auction"},
    "network": {"liquidity"},
    "mechanisms": {"liquidity", "intents", "auction", "network"},
    "tournament": {"liquidity", "intents", "auction", "solvers", "network", "mechanisms"},
    "arena": {"liquidity", "intents", "auction", "solvers", "network", "mechanisms", "tournament"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(BELOW))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    ours = set(BELOW)
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for imported in sorted((_imports(path) & ours) - BELOW[package] - {package}):
            wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not wrong, "\n".join(wrong)
