"""Read whole page (Ctrl+Shift+R): the page's lines become regions in reading order, in one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.core.history import SetText
from desktop.core.regions import RegionStatus
from desktop.qt.page_reader import ADD_WHERE_EMPTY, CANCEL, REPLACE
from tests.desktop.qt.conftest import TEXT_LINES
from tests.desktop.qt.test_main_window import open_page, read_region

pytestmark = pytest.mark.gui

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _read_page(qtbot, window) -> list[str]:
    """Press Ctrl+Shift+R and wait until every new region is read; returns the new ids."""
    with qtbot.waitSignal(window.navigator.page_reader.lines_added, timeout=30000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_R, CTRL_SHIFT)
    session = window.documents.session
    done = (RegionStatus.READ, RegionStatus.FAILED)
    qtbot.waitUntil(lambda: all(session.get(rid).status in done for rid in blocker.args[0]), timeout=60000)
    return blocker.args[0]


def test_the_whole_page_is_read_line_by_line_and_one_undo_takes_it_back(qtbot, make_window, page_png):
    # GIVEN a page of printed lines and no region yet
    window = open_page(qtbot, make_window, page_png)
    session = window.documents.session
    asked: list[int] = []

    def confirm(count: int) -> str:
        asked.append(count)
        return CANCEL

    window.navigator.page_reader.confirm_hook = confirm
    # WHEN the reviewer reads the whole page
    ids = _read_page(qtbot, window)
    # THEN each printed line is one region, read, top to bottom, without a question asked
    regions = session.regions()
    assert asked == []
    assert [r.id for r in regions] == ids and len(ids) == len(TEXT_LINES)
    assert all(r.status == RegionStatus.READ for r in regions)
    for i, region in enumerate(regions):  # the page draws line i at y = 100 + 90 i, 36 px type
        x0, y0, x1, y1 = region.bbox
        assert x1 >= 380  # the whole line (the shortest ends near x = 420), not a word of it
        assert y0 <= 100 + 90 * i + 8 and y1 >= 100 + 90 * i + 30 and y1 - y0 < 80 and x0 <= 85
    assert window.navigator.current_id == ids[0]  # the review starts at the first line
    assert len(window.panel.region_ids) == len(TEXT_LINES)
    # WHEN the reviewer undoes once
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    # THEN every line region is gone, from the session and the panel
    assert session.regions() == []
    assert window.panel.region_ids == []


def test_a_page_with_regions_asks_first_and_keeps_or_replaces_them_as_told(qtbot, make_window, page_png):
    # GIVEN a page where the reviewer already lassoed and corrected the second line
    window = open_page(qtbot, make_window, page_png)
    session, reader = window.documents.session, window.navigator.page_reader
    drawn = read_region(qtbot, window, [(60, 180), (760, 180), (760, 262), (60, 262)])
    window.undo.push(SetText(region_id=drawn, text="BP"))
    answers, asked = [CANCEL], []

    def confirm(count: int) -> str:
        asked.append(count)
        return answers.pop(0)

    reader.confirm_hook = confirm
    # WHEN the reviewer reads the whole page and cancels the question
    qtbot.keyClick(window, Qt.Key.Key_R, CTRL_SHIFT)
    # THEN the question named the one region, and nothing changed
    assert asked == [1] and [r.id for r in session.regions()] == [drawn]
    # WHEN they choose "add only where empty"
    answers.append(ADD_WHERE_EMPTY)
    new = _read_page(qtbot, window)
    # THEN the other two lines are added round the corrected one, which is kept, in reading order
    assert len(new) == len(TEXT_LINES) - 1
    assert [r.id for r in session.regions()] == [new[0], drawn, new[1]]
    assert session.get(drawn).text == "BP"
    # WHEN they read it again and choose "replace"
    answers.append(REPLACE)
    fresh = _read_page(qtbot, window)
    # THEN the page holds exactly the lines found; one undo brings the earlier regions back
    assert [r.id for r in session.regions()] == fresh and len(fresh) == len(TEXT_LINES)
    window.undo.undo()
    assert [r.id for r in session.regions()] == [new[0], drawn, new[1]]
    assert session.get(drawn).text == "BP"


def test_read_whole_page_is_in_the_review_menu_and_the_shortcut_sheet(qtbot, make_window):
    from desktop.qt.actions import shortcut_sheet

    window = make_window(model=None)
    action = window.commands["read_page"]
    assert action.shortcut().toString() == "Ctrl+Shift+R" and not action.isEnabled()  # no document yet
    assert any(keys == "Ctrl+Shift+R" and "whole page" in what for keys, what in shortcut_sheet())
