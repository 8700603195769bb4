"""The three walls of the house: inference and desktop.core import no Qt; desktop imports no build tools.

Walks the import statements of every module (static, so optional imports inside functions count
too) rather than importing them, so a wall breach cannot hide behind an untaken branch.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package_dir: Path) -> dict[str, set[str]]:
    """file (relative to the repo) -> top-level-qualified names it imports."""
    out: dict[str, set[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(str(node.args[0].value))
        out[str(path.relative_to(ROOT))] = names
    return out


def breaches(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for file, names in imported_modules(ROOT / package.replace(".", "/")).items():
        for name in sorted(names):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{file} imports {name}")
    return found


QT = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6")


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("inference", (*QT, "desktop")),
        ("desktop.core", QT),
        ("desktop", ("build_engine", "training", "torch")),
    ],
)
def test_wall(package: str, forbidden: tuple[str, ...]) -> None:
    assert breaches(package, forbidden) == []


def test_the_walk_sees_imports() -> None:
    """Guard against a walker that finds nothing: the Qt shell does import PySide6."""
    assert breaches("desktop.qt", QT)


def test_importing_core_loads_no_qt() -> None:
    """At run time too: importing the Qt-free packages pulls in no Qt module."""
    import subprocess
    import sys

    code = (
        "import sys, inference, inference.recognizer, inference.documents, desktop.core, "
        "desktop.core.settings, desktop.core.export\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
