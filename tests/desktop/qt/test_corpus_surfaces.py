"""Every awkward input is shown right or refused clearly, by the core, the CLI and the window.

The corpus is made by tests/corpus.py; tests/corpus_surfaces.py runs it and prints the table
(``python -m tests.corpus_surfaces --large`` adds the 14000x14000 and 600 dpi cases).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus_surfaces import format_table, run_all

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_every_awkward_file_is_shown_or_refused_on_every_surface(qtbot, make_window, tmp_path: Path, capsys) -> None:
    # GIVEN the real window, with dialogs recorded instead of shown
    window = make_window(wait_backend=False)

    def wait(condition, seconds: float) -> bool:
        try:
            qtbot.waitUntil(condition, timeout=int(seconds * 1000))
        except AssertionError:
            return bool(condition())
        return True

    # WHEN every file of the corpus goes through the core API, notelasso-ocr and the window
    rows = run_all(tmp_path, large=False, window=window, wait=wait)
    with capsys.disabled():
        print("\n" + format_table(rows))
    # THEN each met its expectation on each surface: no traceback, no hang, memory under the bound
    assert {r.surface for r in rows} == {"core", "cli", "window"}
    assert [r for r in rows if not r.ok] == []
