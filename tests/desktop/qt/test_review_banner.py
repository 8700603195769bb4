"""The window says how a review was opened: read-only in a second window, salvaged after damage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.desktop.qt.conftest import wait_page
from tests.desktop.qt.test_main_window import LINE_2, lasso, open_page, read_region

pytestmark = pytest.mark.gui


def test_a_second_window_on_the_same_review_is_read_only_and_says_so(qtbot, make_window, page_png):
    # GIVEN a review open for editing in one window, with one region read
    first = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, first, LINE_2)
    # WHEN a second window opens the same document
    second = open_page(qtbot, make_window, page_png)
    # THEN it says, in its banner and title, that it is read-only, and editing is off
    assert second.review_banner.isVisible() and not first.review_banner.isVisible()
    assert "READ-ONLY" in second.review_banner.label.text()
    assert "another NoteLasso window" in second.review_banner.label.text()
    assert "(read-only)" in second.windowTitle() and "(read-only)" not in first.windowTitle()
    second.navigator.select(rid)
    assert second.panel.edited_text == first.documents.session.get(rid).text
    assert not second.panel.editor.isEnabled()
    assert not second.commands["delete"].isEnabled() and not second.commands["verify"].isEnabled()
    lasso(qtbot, second, [(60, 300), (700, 300), (700, 360), (60, 360)])
    assert [r.id for r in second.documents.session.regions()] == [rid]
    assert second.hooks.errors == []
    # AND the first window goes on editing
    first.navigator.select(rid)
    assert first.panel.editor.isEnabled() and first.commands["delete"].isEnabled()


def test_a_damaged_review_is_salvaged_and_the_window_says_so(qtbot, make_window, page_png, tmp_path: Path):
    # GIVEN a reviewed page whose review file is then overwritten with random bytes
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    path = window.documents.session.store.path
    window.close()
    path.write_bytes(os.urandom(path.stat().st_size))
    # WHEN the page is opened again
    again = make_window()
    assert again.open_path(page_png)
    wait_page(qtbot, again)
    # THEN the banner says what happened, the region is back, and editing goes on
    text = again.review_banner.label.text()
    assert again.review_banner.isVisible() and "damaged" in text and "READ-ONLY" not in text
    assert again.documents.session.get(rid) is not None
    assert again.hooks.errors == []
    again.navigator.select(rid)
    assert again.panel.editor.isEnabled()


def test_a_full_disk_is_reported_and_the_typed_text_stays(qtbot, make_window, page_png):
    # GIVEN a region read, then a disk that cannot take one more page
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    session = window.documents.session
    saved = session.get(rid).text
    con = session.store._con
    con.execute(f"PRAGMA max_page_count={con.execute('PRAGMA page_count').fetchone()[0]}")
    # WHEN the reviewer types a long correction and presses Enter
    window.navigator.select(rid)
    long_text = "BP 120/80 " * 2000
    window.panel.editor.setPlainText(long_text)
    window.navigator.accept_and_next()
    # THEN the window says the disk is full, keeps the typed text, and the saved text is as it was
    assert [e[0] for e in window.hooks.errors] == ["The change was not saved"]
    assert "disk is full" in window.hooks.errors[0][1]
    assert window.panel.edited_text == long_text and window.navigator.current_id == rid
    assert session.get(rid).text == saved
    # AND undo still works (it needs no new page) and the window goes on
    window.undo.undo()
    assert window.hooks.errors[1:] == [] or window.hooks.errors[1][0] == "Cannot undo"
