"""Doubtful-character marks follow the user's edits."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from desktop.qt.editor import CorrectionEditor

pytestmark = pytest.mark.gui

MODEL = "BP 12O/80"
CONF = (1, 1, 1, 1, 1, 0.2, 1, 0.4, 1)  # "O" and "8" are doubtful


def test_marks_follow_typing(qtbot) -> None:
    ed = CorrectionEditor()
    qtbot.addWidget(ed)
    ed.setPlainText(MODEL)
    ed.highlighter.set_reading(MODEL, CONF, 0.6)
    assert ed.highlighter.marked_positions() == [5, 7]
    # insert two characters at the start: both marks shift right
    cursor = ed.textCursor()
    cursor.setPosition(0)
    ed.setTextCursor(cursor)
    qtbot.keyClicks(ed, "x ")
    assert ed.highlighter.marked_positions() == [7, 9]
    # replace the doubtful "O" with "0": its mark goes
    cursor = ed.textCursor()
    cursor.setPosition(7)
    cursor.setPosition(8, QTextCursor.MoveMode.KeepAnchor)
    ed.setTextCursor(cursor)
    qtbot.keyClicks(ed, "0")
    assert ed.highlighter.marked_positions() == [9]
    # a newline (Shift+Enter) before the last mark keeps it on the right character
    cursor.setPosition(2)
    ed.setTextCursor(cursor)
    qtbot.keyClick(ed, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert ed.toPlainText()[ed.highlighter.marked_positions()[0]] == "8"
    # the marks are painted: the block holding "8" has a wavy-underlined range
    block = ed.document().lastBlock()
    formats = block.layout().formats()
    assert any(f.format.underlineStyle() == f.format.UnderlineStyle.WaveUnderline for f in formats)


def test_threshold_changes_what_is_marked(qtbot) -> None:
    ed = CorrectionEditor()
    qtbot.addWidget(ed)
    ed.setPlainText(MODEL)
    ed.highlighter.set_reading(MODEL, CONF, 0.3)
    assert ed.highlighter.marked_positions() == [5]
