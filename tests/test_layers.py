"""Keeps the layering of docs/architecture.md honest by parsing every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tripl_cli"

LAYERS: dict[str, int] = {
    "errors": 0,
    "types": 0,
    "timegrid": 0,
    "textfmt": 0,
    "version": 0,
    "files": 0,
    "project": 1,
    "compiler": 2,
    "adapters": 3,
    "state": 3,
    "detect": 3,
    "alerts": 3,
    "scaffold": 3,
    "runner": 4,
    "api": 5,
    "cli": 6,
}
#: Layer-3 packages that must not import each other.
SIBLINGS = {"adapters", "state", "detect", "alerts", "scaffold"}


def _top(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "tripl_cli" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_has_a_layer() -> None:
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _modules()}
    tops.discard("__init__")
    assert tops <= set(LAYERS), f"give these a layer in test_layers.py: {tops - set(LAYERS)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_respect_layers(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    if own == "__init__":
        return
    for module in _imports(path):
        other = _top(module)
        if other is None or other == own:
            continue
        assert LAYERS[other] <= LAYERS[own], f"{own} (layer {LAYERS[own]}) imports {module}"
        if own in SIBLINGS and other in SIBLINGS:
            raise AssertionError(f"layer-3 sibling {own} imports {module}")
