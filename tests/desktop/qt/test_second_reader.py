"""The second reader in the real window: it reads after the first result, flags, and Ctrl+T takes its reading."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt

from desktop.core.second_reading import take_other
from inference.second_reader import is_available
from tests.desktop.qt.test_main_window import LINE_2, open_page, read_region

pytestmark = pytest.mark.gui


@pytest.mark.skipif(not is_available()[0], reason="rapidocr (the 'second' extra) is not installed")
def test_the_second_reading_arrives_after_the_first_and_ctrl_t_takes_it(qtbot, make_window, page_png):
    # GIVEN the window with the second reader on (the micro test model reads junk: PP-OCR reads
    # the generated line, so they disagree)
    window = open_page(qtbot, make_window, page_png)
    second = window.navigator.second_reader
    window.apply_settings({"review/second_reader": True})
    # WHEN a region is lassoed
    with qtbot.waitSignal(second.reading_arrived, timeout=60000) as arrived:
        rid = read_region(qtbot, window, LINE_2)
        # THEN PARSeq's result is in the session and the panel before any second reading
        assert window.panel.edited_text == window.documents.session.get(rid).text != ""
        assert second.reading(rid) is None and second.label.isHidden()
    assert arrived.args == [rid]
    # AND the second reading arrives later: PP-OCR's words, the disagreeing ones flagged in the
    # editor and listed with the other reading; the status bar names the second reader
    assert "BP" in second.reading(rid).texts and "120/80" in second.reading(rid).texts
    items = second.disagreements(rid)
    assert items
    assert len(window.panel.editor.extraSelections()) == len(items)
    assert second.label.isVisible() and items[0].other in second.label.text()
    assert "PP-OCR" in window.status.second_reader.text() and window.status.second_reader.isVisible()
    # WHEN the reviewer edits, puts the caret in the first flagged word and presses Ctrl+T
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    ed = window.panel.editor
    text = ed.toPlainText()
    cur = ed.textCursor()
    cur.setPosition(items[0].start)
    ed.setTextCursor(cur)
    qtbot.keyClick(ed, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    # THEN that word takes the other reading in the editor, and only that word
    expected, _caret = take_other(text, items[0])
    assert ed.toPlainText() == expected
    # AND Enter saves it as the reviewer's correction
    qtbot.keyClick(ed, Qt.Key.Key_Return)
    assert window.documents.session.get(rid).text == expected


def test_without_the_engine_the_status_bar_says_the_second_reader_is_unavailable(
    qtbot, make_window, page_png, monkeypatch
):
    # GIVEN rapidocr cannot be imported and the second reader is on
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    window = open_page(qtbot, make_window, page_png)
    window.apply_settings({"review/second_reader": True})
    second = window.navigator.second_reader
    # WHEN a region is read
    rid = read_region(qtbot, window, LINE_2)
    # THEN the first reading is there, and the status bar says the second reader cannot run
    assert window.documents.session.get(rid).text != ""
    qtbot.waitUntil(lambda: window.status.second_reader.text() == "Second reader unavailable", timeout=30000)
    assert second.reading(rid) is None
    # AND the key changes nothing and says why
    text = window.panel.editor.toPlainText()
    with qtbot.waitSignal(window.navigator.message, timeout=2000):
        window.commands["take_second"].trigger()
    assert window.panel.editor.toPlainText() == text


def test_with_the_second_reader_off_nothing_is_read_twice_nor_named(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    qtbot.wait(300)
    assert window.navigator.second_reader.reading(rid) is None
    assert window.status.second_reader.isHidden()
