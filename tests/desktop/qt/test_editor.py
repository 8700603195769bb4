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


def test_the_confidence_line_counts_the_marks_of_the_text_as_it_stands() -> None:
    from desktop.core.regions import Region, RegionStatus
    from desktop.qt.correction_panel import confidence_summary

    read = Region(
        id="r", page=0, polygon=((0, 0), (9, 0), (9, 9)), status=RegionStatus.READ, model_text="BP 12O/80",
        text="BP 12O/80", confidences=(1, 1, 1, 1, 1, 0.2, 1, 0.4, 1),
    )  # fmt: skip
    said = confidence_summary(read, 0.6)
    assert said == "Lowest confidence 20% · 2 doubtful characters (hover a character for its own)"
    # the reviewer retyped the "O": one doubtful character is left, the model's lowest is said beside
    fixed = read.with_changes(text="BP 120/80", status=RegionStatus.CORRECTED)
    assert confidence_summary(fixed, 0.6) == "Lowest confidence 40% (the model's reading: 20%) · 1 doubtful character"
