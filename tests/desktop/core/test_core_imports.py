"""desktop.core stays free of Qt: importing all of it loads no PySide6 module."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.desktop.core.conftest import ROOT

CORE = ROOT / "desktop" / "core"


def test_core_sources_import_no_qt_or_build_engine() -> None:
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(("PySide6", "PyQt", "shiboken", "build_engine", "desktop.qt")), (
                    f"{path.name} imports {name}"
                )


def test_importing_core_loads_no_qt() -> None:
    modules = [f"desktop.core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__"]
    code = (
        f"import sys, desktop.core; [__import__(m) for m in {modules!r}]; "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken', 'torch'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
