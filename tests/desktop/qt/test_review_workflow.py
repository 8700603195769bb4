"""What a first-time reviewer trips on (issue 15), each checked on the real window offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.core.regions import RegionStatus
from tests.desktop.qt.test_main_window import LINE_2, open_page, read_region

pytestmark = pytest.mark.gui

LINE_3 = [(300, 285), (900, 285), (900, 350), (60, 350), (60, 285)]


def _focused(window):
    return QApplication.focusWidget() or window


def test_tool_keys_after_a_lasso_never_change_the_text_nor_mark_it_reviewed(qtbot, make_window, page_png):
    # GIVEN a region just lassoed and read
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    session = window.documents.session
    text = session.get(rid).text
    # WHEN the reviewer presses the tool keys the README names
    qtbot.keyClick(_focused(window), Qt.Key.Key_R)
    qtbot.keyClick(_focused(window), Qt.Key.Key_L)
    # THEN they choose tools and the text is untouched
    assert window.view.tool == "lasso"
    assert window.panel.edited_text == text and not window.panel.editor.hasFocus()
    # WHEN the next region is drawn
    read_region(qtbot, window, LINE_3)
    # THEN the first region still holds the machine's reading and is not counted as reviewed
    assert session.get(rid).text == text and session.get(rid).status == RegionStatus.READ
    assert "0 reviewed" in window.status.counts.text()
    # Enter on the page starts editing the current region
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert window.panel.editor.hasFocus()


def test_a_drag_started_inside_the_selected_region_draws_a_new_region(qtbot, make_window, page_png):
    # GIVEN a region just drawn (selected) round a line
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, [(60, 170), (760, 170), (760, 265), (60, 265)])
    before = window.documents.session.get(rid).polygon
    assert window.view.region_item(rid).isSelected()
    # WHEN the next lasso starts just inside its bottom edge, away from its corners (tightly spaced lines)
    second = read_region(qtbot, window, [(300, 258), (880, 262), (880, 350), (70, 350), (70, 262)])
    # THEN a new region is drawn and the first is left alone
    assert second != rid and len(window.documents.session.regions(0)) == 2
    assert window.documents.session.get(rid).polygon == before
    assert window.undo.stack.undoText() != "Reshape region"
