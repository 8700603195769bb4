"""No import circles between the project's modules (desktop, inference, build_engine, training).

Like the walls test beside it, this walks the import statements of every module statically (so
imports inside functions and under ``if TYPE_CHECKING:`` count too) instead of importing them. A
circle is reported by name, e.g. ``desktop.core.export -> desktop.core.export_xml -> desktop.core.export``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("desktop", "inference", "build_engine", "training")


def module_name(path: Path, root: Path) -> str:
    """``root/desktop/core/export.py`` -> ``desktop.core.export``; a package's ``__init__.py`` -> the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``: dotted name -> file."""
    return {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name lands in (the longest known prefix), else None."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_edges(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules that ``module`` imports anywhere in its file (top level, functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import mod`` imports the submodule; ``from mod import name`` the module.
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            targets = [str(node.args[0].value)]
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    modules = project_modules(root, packages)
    return {name: import_edges(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One named circle per strongly connected group of modules, e.g. ``[a, b, a]``; [] when there is none."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm; the graphs here are small enough to recurse
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(_circle_in(group, graph) for group in groups)


def _circle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest circle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no circle found in {sorted(group)}")  # cannot happen for a strongly connected group


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph(ROOT))
    assert cycles == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_walk_sees_imports() -> None:
    """Guard against a walker that finds nothing: known edges, function-local and TYPE_CHECKING ones included."""
    graph = import_graph(ROOT)
    assert "desktop.core.regions" in graph["desktop.core.session"]  # top level
    assert "inference.documents" in graph["desktop.core.export"]  # inside export_session
    assert "desktop.core.session" in graph["desktop.core.export_pdf"]  # under TYPE_CHECKING
    assert sum(len(v) for v in graph.values()) > 100


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    # GIVEN a package whose modules import each other: at top level, inside a function and
    # under TYPE_CHECKING, plus one relative import
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import thing\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\nthing = 1\n")
    (pkg / "d.py").write_text("import pkg.a\nimport os\n")
    # WHEN the graph is walked
    cycles = find_cycles(import_graph(tmp_path, ("pkg",)))
    # THEN the one circle is named, and modules that only lean on it are not part of it
    assert cycles == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]
