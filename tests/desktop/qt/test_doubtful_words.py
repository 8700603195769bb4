"""Word by word review on the real window offscreen (issue 15): Ctrl+F8 goes to the next word the
triage flags (an unknown word, a word the model doubted; decision 025) across regions and pages;
a right-click on an unknown word offers suggestions, "Add to dictionary" and "Ignore"."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from desktop.core.lexicon import MEDICAL_LIST, WORD_LIST
from desktop.core.regions import RegionStatus
from desktop.qt.spelling import UNKNOWN_UNDERLINE
from inference.recognizer import RegionResult
from tests.desktop.qt.conftest import wait_page
from tests.desktop.qt.test_main_window import open_page, read_region

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not (WORD_LIST.is_file() and MEDICAL_LIST.is_file()), reason="apt install wamerican hunspell-en-med"
    ),
]

BOX = [(150, 200), (900, 200), (900, 330), (150, 330)]  # page pixels on the generated pages


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """The reviewer's dictionary goes to a private data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "notelasso"


def reading(window, rid: str, text: str, low: str = "") -> None:
    """Store ``text`` as what the model read in ``rid``, the characters of ``low`` doubted (0.3),
    the others read at 0.999 (a model is never quite sure)."""
    session = window.documents.session
    conf = [0.999] * len(text)
    if low:
        at = text.index(low)
        conf[at : at + len(low)] = [0.3] * len(low)
    gen = session.begin_recognition(rid)
    session.apply_recognition(rid, RegionResult(text, tuple(conf), ()), engine="test", model="test", generation=gen)


def ready(qtbot, window):
    words = window.navigator.words
    qtbot.waitUntil(lambda: words.lexicon is not None, timeout=30000)
    return words


def selected(window) -> str:
    return window.panel.editor.textCursor().selectedText()


def unknown_marks(editor) -> list[str]:
    """The text under the editor's unknown-word mark (a red wavy underline, drawn by the highlighter)."""
    block = editor.document().firstBlock()
    out = []
    for fr in block.layout().formats():
        fmt = fr.format
        wavy = fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
        if wavy and fmt.underlineColor() == UNKNOWN_UNDERLINE:
            out.append(block.text()[fr.start : fr.start + fr.length])
    return sorted(set(out))


def right_click_menu(editor, word: str):
    """The menu a right-click on ``word`` in the editor opens (built, not shown)."""
    cursor = QTextCursor(editor.document())
    cursor.setPosition(editor.toPlainText().index(word) + 1)
    return editor.context_menu(editor.cursorRect(cursor).center())


def entries(menu) -> dict[str, QAction]:
    return {a.text(): a for a in menu.actions() if a.text()}


def test_next_doubtful_word_goes_across_regions_and_pages_and_marks_unknown_words(qtbot, make_window, note_pdf):
    # GIVEN regions on two pages: one with an unknown word, one with a word the model doubted
    window = open_page(qtbot, make_window, note_pdf)
    first = read_region(qtbot, window, BOX)
    reading(window, first, "Patient reports less fatige today")
    window.documents.show_page(1)
    wait_page(qtbot, window, 1)
    second = read_region(qtbot, window, BOX)
    reading(window, second, "walking 30 min daily", low="daily")
    words = ready(qtbot, window)
    window.documents.show_page(0)
    wait_page(qtbot, window, 0)
    window.view.setFocus()
    # WHEN the reviewer presses Ctrl+F8 with nothing selected
    qtbot.keyClick(window.view, Qt.Key.Key_F8, Qt.KeyboardModifier.ControlModifier)
    # THEN the first region is selected and its unknown word selected in the editor, marked
    editor = window.panel.editor
    assert window.navigator.current_id == first and editor.hasFocus()
    assert selected(window) == "fatige"
    assert unknown_marks(editor) == ["fatige"]
    # AND the line under the crop names the words to check and the key that visits them
    label = window.navigator.triage.label
    assert label.isVisible() and label.text() == "\u2691 1 word to check against the image (Ctrl+F8): 'fatige'"
    # WHEN Ctrl+F8 again (the key is the window's, from the editor too)
    qtbot.keyClick(editor, Qt.Key.Key_F8, Qt.KeyboardModifier.ControlModifier)
    # THEN the next page is shown with its doubtful word selected (a known word, low confidence)
    qtbot.waitUntil(lambda: window.navigator.current_id == second, timeout=15000)
    assert window.documents.page_index == 1 and selected(window) == "daily"
    assert unknown_marks(editor) == []
    # WHEN once more: it wraps round to the first page's word
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F8, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.navigator.current_id == first, timeout=15000)
    assert selected(window) == "fatige"
    assert words.lexicon is not None and words.lexicon.is_available
    # WHEN the reviewer types the word right over the selection: nothing is left to check, the line goes
    editor.textCursor().insertText("fatigue")
    assert not label.isVisible()


def test_right_click_suggests_and_a_suggestion_is_an_edit_committed_as_usual(qtbot, make_window, page_png):
    # GIVEN a region whose reading holds an unknown word
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, BOX)
    reading(window, rid, "Pt reports less fatige")
    ready(qtbot, window)
    editor = window.panel.editor
    # WHEN the reviewer right-clicks the word
    menu = right_click_menu(editor, "fatige")
    found = entries(menu)
    suggestions = [a.text() for a in menu.actions() if a.objectName() == "suggestion"]
    # THEN up to five suggestions, the right word first, then Add to dictionary and Ignore,
    # above the editor's own entries
    assert suggestions[0] == "fatigue" and 1 <= len(suggestions) <= 5
    assert "Add to dictionary" in found and "Ignore" in found
    assert any("Copy" in t for t in found)
    # WHEN a suggestion is chosen
    found["fatigue"].trigger()
    # THEN the editor holds the fix, not saved yet; Enter commits it as a correction
    assert editor.toPlainText() == "Pt reports less fatigue" and unknown_marks(editor) == []
    assert window.documents.session.get(rid).text == "Pt reports less fatige"
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    region = window.documents.session.get(rid)
    assert region.text == "Pt reports less fatigue" and region.status == RegionStatus.CORRECTED
    # a known word gets no suggestions
    assert not [a for a in right_click_menu(editor, "reports").actions() if a.objectName() == "suggestion"]


def test_add_to_dictionary_persists_and_ignore_lasts_the_sitting(qtbot, make_window, page_png, data_home):
    # GIVEN a region with a clinic's name and a junk word, both unknown
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, BOX)
    reading(window, rid, "RIVERBEND clinic Praromishos")
    ready(qtbot, window)
    editor = window.panel.editor
    assert unknown_marks(editor) == ["Praromishos", "RIVERBEND"]
    # hovering one says why it is marked (the wavy line is the cue, not its colour)
    cursor = QTextCursor(editor.document())
    cursor.setPosition(3)
    at = editor.cursorRect(cursor).center()
    QApplication.sendEvent(editor.viewport(), QHelpEvent(QEvent.Type.ToolTip, at, editor.viewport().mapToGlobal(at)))
    assert "\u201cRIVERBEND\u201d is not in the dictionary" in QToolTip.text()
    # WHEN the name is added to the dictionary and the junk ignored, from the right-click menu
    entries(right_click_menu(editor, "RIVERBEND"))["Add to dictionary"].trigger()
    entries(right_click_menu(editor, "Praromishos"))["Ignore"].trigger()
    # THEN neither is marked any more
    assert unknown_marks(editor) == []
    # AND the name is saved in the reviewer's own dictionary (owner-only), the ignored word is not
    saved = data_home / "dictionary.txt"
    assert saved.read_text(encoding="utf-8") == "RIVERBEND\n"
    assert os.stat(saved).st_mode & 0o777 == 0o600
    # AND a later window knows the name but marks the ignored word again
    window.close()
    later = open_page(qtbot, make_window, page_png)
    words = ready(qtbot, later)
    assert words.is_known("RIVERBEND") and not words.is_known("Praromishos")


def test_without_word_lists_nothing_is_marked_and_the_menu_says_why(qtbot, make_window, page_png, tmp_path):
    # GIVEN a system without the word lists (the lexicon of missing files)
    from desktop.core.lexicon import load_lexicon

    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, BOX)
    words = ready(qtbot, window)
    missing = tmp_path / "none"
    words.lexicon = load_lexicon(tmp_path / "d.txt", word_list=missing, medical=missing, aff=missing)
    window.navigator.triage.use_words(words.lexicon)  # as when these lists had loaded
    reading(window, rid, "Praromishos zzyzx")
    editor = window.panel.editor
    # THEN no word is marked, the right-click menu says why, and Ctrl+F8 names the packages to install
    assert unknown_marks(editor) == []
    note = entries(right_click_menu(editor, "Praromishos"))["No word lists: unknown words are not marked"]
    assert not note.isEnabled() and "hunspell-en-med" in note.toolTip()
    shown: list[str] = []
    words.message.connect(lambda text, _ms: shown.append(text))
    window.commands["next_doubtful_word"].trigger()
    assert shown and "wamerican" in shown[-1]
