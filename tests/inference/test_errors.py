"""Exit codes: one ExitCode enum, carried by every error class and documented in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

from inference.errors import ExitCode, NoteLassoError

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|\s*(.+?)\s*\|\s*$")


def readme_exit_codes() -> list[tuple[int, str, str]]:
    """(code, name, meaning) rows of the table that follows the README's "exits with a code" sentence."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "exits with a code" in line)
    table: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if table:
                break
            continue
        if not line.startswith("|"):
            if table:
                break
            continue
        table.append(line)
    assert table[:2] == ["| code | name | meaning |", "|---|---|---|"], table[:2]
    rows: list[tuple[int, str, str]] = []
    for line in table[2:]:
        match = ROW.match(line)
        assert match, f"README exit code row not understood: {line!r}"
        rows.append((int(match[1]), match[2], match[3]))
    return rows


def test_readme_table_matches_the_enum() -> None:
    expected = [(int(m), m.name, m.meaning) for m in ExitCode]
    assert readme_exit_codes() == expected


def _all_subclasses(cls: type[NoteLassoError]) -> set[type[NoteLassoError]]:
    out: set[type[NoteLassoError]] = set(cls.__subclasses__())
    for sub in list(out):
        out |= _all_subclasses(sub)
    return out


def test_every_error_class_carries_an_exit_code() -> None:
    # GIVEN the modules that define the project's errors are loaded
    import desktop.core  # noqa: F401 - StorageError, ExportError
    import inference.documents  # noqa: F401 - PasswordRequiredError

    # THEN each error class (and the base) carries a member of the one ExitCode enum
    classes = {NoteLassoError} | _all_subclasses(NoteLassoError)
    assert {c.__name__ for c in classes} >= {"DocumentError", "InputError", "StorageError", "ExportError"}
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode), cls
        assert cls("x").exit_code is cls.exit_code


def test_codes_are_distinct_and_keep_their_numbers() -> None:
    """Scripts depend on these numbers: they never change meaning."""
    assert len({int(m) for m in ExitCode}) == len(ExitCode)
    assert tuple(range(9)) == (
        ExitCode.OK,
        ExitCode.ERROR,
        ExitCode.INPUT,
        ExitCode.DOCUMENT,
        ExitCode.BACKEND_UNAVAILABLE,
        ExitCode.MODEL_MISMATCH,
        ExitCode.REMOTE,
        ExitCode.STORAGE,
        ExitCode.EXPORT,
    )
    assert (ExitCode.INTERNAL, ExitCode.INTERRUPTED) == (70, 130)
