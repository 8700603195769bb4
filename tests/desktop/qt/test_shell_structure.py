"""The shell stays small enough to read: no module over 400 lines, the window under 250.

The window only assembles parts; a part that grows past these sizes is doing two jobs and is
split (see docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

QT = Path(__file__).resolve().parents[3] / "desktop" / "qt"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_shell_module_is_over_400_lines() -> None:
    sizes = {p.name: _lines(p) for p in QT.glob("*.py")}
    assert sizes and not {name: n for name, n in sizes.items() if n > 400}


def test_the_main_window_is_under_250_lines_and_inherits_only_from_qt() -> None:
    path = QT / "main_window.py"
    assert _lines(path) < 250
    window = next(
        n
        for n in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(n, ast.ClassDef) and n.name == "MainWindow"
    )
    assert [ast.unparse(b) for b in window.bases] == ["QMainWindow"]  # composed parts, no mixins
