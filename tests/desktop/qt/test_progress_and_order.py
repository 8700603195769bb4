"""Issue 15: the review-progress view, the next-unreviewed key, the reviewer's region order and
reading a range of pages, each driven in the real window (offscreen) on the micro model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop.core.export import export_session
from desktop.core.history import SetStatus
from desktop.core.regions import RegionStatus
from desktop.qt.actions import shortcut_sheet
from desktop.qt.range_reader import CANCEL, REPLACE, SKIP
from tests.desktop.qt.conftest import wait_page
from tests.desktop.qt.test_main_window import open_page, read_region
from tests.desktop.qt.test_read_page import _read_page

pytestmark = pytest.mark.gui

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
DONE = (RegionStatus.READ, RegionStatus.FAILED)


def _cells(window, row: int) -> list[str]:
    table = window.progress_dock.table
    return [table.item(row, c).text() for c in range(table.columnCount())]


def _answer(asked: list[list[int]], answer: str):
    """A stand-in for the question about pages with regions: records the pages, answers ``answer``."""

    def confirm(pages: list[int]) -> str:
        asked.append(pages)
        return answer

    return confirm


def _read_pages(qtbot, window, first: int, last: int, answer: str = REPLACE) -> tuple[list[str], list[list[int]]]:
    """Review > Read pages… for pages ``first``..``last`` (0-based); waits until every line is read.
    Returns the new ids and the questions asked (pages that had regions)."""
    reader, asked = window.navigator.range_reader, list[list[int]]()
    reader.range_hook = lambda count: (first, last)
    reader.confirm_hook = _answer(asked, answer)
    with qtbot.waitSignal(reader.finished, timeout=60000) as blocker:
        window.commands["read_pages"].trigger()
    ids: list[str] = []
    if blocker.args[0]:
        session = window.documents.session
        ids = [r.id for r in session.regions() if r.status != RegionStatus.VERIFIED]
        qtbot.waitUntil(lambda: all(r.status in DONE for r in session.regions() if r.id in ids), timeout=90000)
    return ids, asked


# -- 1. the review-progress view --------------------------------------------------------------------
def test_the_progress_view_counts_each_page_live_and_a_row_turns_to_its_page(qtbot, make_window, note_pdf):
    # GIVEN a three-page note, no region yet; the reviewer shows View > Review progress
    window = open_page(qtbot, make_window, note_pdf)
    dock = window.progress_dock
    assert dock.isHidden() and not window.commands["progress"].isChecked()
    window.commands["progress"].trigger()
    assert window.commands["progress"].isChecked() and dock.isVisible()
    assert dock.table.rowCount() == 4 and _cells(window, 3) == ["Document", "0", "0", "0", "0"]
    # WHEN the reviewer reads the first page's lines
    ids = _read_page(qtbot, window)
    # THEN its row counts them, none reviewed, and the document total agrees
    n = str(len(ids))
    assert _cells(window, 0)[:3] == ["1", n, "0"] and _cells(window, 3)[:3] == ["Document", n, "0"]
    doubtful = int(_cells(window, 0)[3])
    assert doubtful == sum(window.navigator.threshold > min(window.documents.session.get(i).confidences) for i in ids)
    # WHEN one region is verified (Ctrl+Enter), then corrected text is typed into the next
    window.navigator.select(ids[0])
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return, CTRL)
    # THEN the counts follow at once
    assert _cells(window, 0)[2] == "1" and "1 of" in dock.summary.text()
    # WHEN that is undone
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    # THEN the page is back at none reviewed
    assert _cells(window, 0)[2] == "0"
    # WHEN every region of page 1 is verified, the row says done
    for rid in ids:
        window.navigator.select(rid)
        window.navigator.verify_and_next()
    qtbot.waitUntil(lambda: _cells(window, 0)[0].startswith("\u2713"), timeout=5000)
    # WHEN the reviewer clicks the row of page 3
    rect = dock.table.visualItemRect(dock.table.item(2, 1))
    qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    # THEN page 3 is shown
    wait_page(qtbot, window, 2)
    # AND the View menu hides and shows the view
    window.commands["progress"].trigger()
    assert dock.isHidden() and not window.commands["progress"].isChecked()
    window.commands["progress"].trigger()
    assert dock.isVisible()


# -- 2. next unreviewed region ----------------------------------------------------------------------
def test_ctrl_n_goes_to_the_next_unreviewed_region_across_pages_and_wraps(qtbot, make_window, note_pdf):
    # GIVEN a three-page note whose pages were all read, the first page's regions verified but its first
    window = open_page(qtbot, make_window, note_pdf)
    _read_pages(qtbot, window, 0, 2)
    session = window.documents.session
    first_page = [r.id for r in session.regions(0)]
    assert len(first_page) >= 2 and {r.page for r in session.regions()} == {0, 1, 2}
    for rid in first_page[1:]:
        window.undo.push(SetStatus(region_id=rid, status=RegionStatus.VERIFIED.value))
    window.documents.show_page(0)
    wait_page(qtbot, window, 0)
    window.navigator.select(first_page[0])
    # WHEN the reviewer presses Ctrl+N
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL)
    # THEN it skips the reviewed regions to page 2's first region, shown with its text in the editor
    target = session.regions(1)[0].id
    qtbot.waitUntil(lambda: window.navigator.current_id == target and window.documents.page_index == 1, timeout=15000)
    # WHEN they go to the last region of the document and press Ctrl+N
    last = session.regions()[-1]
    window.documents.show_page(last.page)
    wait_page(qtbot, window, last.page)
    window.navigator.select(last.id)
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL)
    # THEN it wraps round to the first unreviewed one, on page 1
    qtbot.waitUntil(lambda: window.navigator.current_id == first_page[0], timeout=15000)
    assert window.documents.page_index == 0
    # AND the F1 sheet lists the key
    assert any(keys == "Ctrl+N" and "unreviewed" in what for keys, what in shortcut_sheet())


# -- 3. region order the reviewer sets ---------------------------------------------------------------
def test_alt_up_moves_a_region_in_the_list_tab_order_and_exports_one_undo_step_each(
    qtbot, make_window, page_png, tmp_path
):
    # GIVEN a page read line by line: regions a, b, c top to bottom
    window = open_page(qtbot, make_window, page_png)
    a, b, c = _read_page(qtbot, window)
    session, panel, nav = window.documents.session, window.panel, window.navigator
    nav.select(c)
    # WHEN the reviewer presses Alt+Up twice on c
    qtbot.keyClick(window, Qt.Key.Key_Up, ALT)
    qtbot.keyClick(window, Qt.Key.Key_Up, ALT)
    # THEN c is first: in the session, the side panel's list, and its number
    assert [r.id for r in session.regions()] == [c, a, b]
    assert panel.region_ids == [c, a, b] and panel.title.text().startswith("Region 1 of 3")
    assert nav.current_id == c and not panel.up_button.isEnabled() and panel.down_button.isEnabled()
    # AND Tab follows the new order
    qtbot.keyClick(panel.editor, Qt.Key.Key_Tab)
    assert nav.current_id == a
    # AND every export writes c first
    texts = [session.get(r).text for r in (c, a, b)]
    [txt] = export_session(session, "txt", tmp_path / "order.txt")
    assert txt.read_text(encoding="utf-8").split("\n\n")[0].strip() == texts[0].strip()
    # WHEN the reviewer undoes once
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    # THEN one move is undone
    assert [r.id for r in session.regions()] == [a, c, b] and window.undo.stack.undoText() == "Move region up"
    # WHEN they use the panel's "Move down" button on a, then the list's context menu to move b up
    nav.select(a)
    qtbot.mouseClick(panel.down_button, Qt.MouseButton.LeftButton)
    assert [r.id for r in session.regions()] == [c, a, b]
    rect = panel.list.visualItemRect(panel.list.item(2))
    panel.list.customContextMenuRequested.emit(rect.center())
    assert nav.current_id == b and panel.list_menu is not None
    up = next(act for act in panel.list_menu.actions() if act.text().startswith("Move up"))
    up.trigger()
    # THEN each is one step, kept in the review after reopening
    assert [r.id for r in session.regions()] == [c, b, a]
    path = window.documents.document.path
    window.documents.close()
    assert window.open_path(path)
    wait_page(qtbot, window)
    assert [r.id for r in window.documents.session.regions()] == [c, b, a] == window.panel.region_ids


# -- 4. read a range of pages ------------------------------------------------------------------------
def test_read_pages_reads_a_range_in_one_undo_step_and_asks_about_pages_with_regions(qtbot, make_window, note_pdf):
    # GIVEN a three-page note; the reviewer lassoed a region on page 2
    window = open_page(qtbot, make_window, note_pdf)
    session = window.documents.session
    window.documents.show_page(1)
    wait_page(qtbot, window, 1)
    drawn = read_region(qtbot, window, [(80, 80), (1100, 80), (1100, 180), (80, 180)])
    # WHEN they read pages 1-3 and skip the page that has regions
    ids, asked = _read_pages(qtbot, window, 0, 2, SKIP)
    # THEN they were asked about page 2 only; pages 1 and 3 got line regions, page 2 kept its own
    assert asked == [[1]]
    assert session.regions(0) and session.regions(2) and [r.id for r in session.regions(1)] == [drawn]
    assert all(session.get(rid).status in DONE for rid in ids)
    assert window.undo.stack.undoText().startswith("Read pages 1\u20133")
    # WHEN they undo once
    window.undo.undo()
    # THEN the whole range is taken back in one step
    assert [r.id for r in session.regions()] == [drawn]
    # WHEN they read again, answer Cancel to the question
    reader, asked = window.navigator.range_reader, list[list[int]]()
    reader.range_hook = lambda count: (0, 2)
    reader.confirm_hook = _answer(asked, CANCEL)
    window.commands["read_pages"].trigger()
    # THEN nothing starts
    assert asked == [[1]] and not reader.is_busy and [r.id for r in session.regions()] == [drawn]
    # WHEN they replace, and press Cancel on the progress dialog while the lines are being found
    reader.confirm_hook = lambda pages: REPLACE
    with qtbot.waitSignal(reader.finished, timeout=30000) as blocker:
        window.commands["read_pages"].trigger()
        assert reader.progress is not None and reader.progress.isVisible()
        cancel = reader.progress.findChild(QPushButton)
        assert cancel is not None and cancel.text() == "Cancel"
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    # THEN nothing was changed
    assert blocker.args == [0] and [r.id for r in session.regions()] == [drawn]
    # WHEN they replace and let it run
    new, _asked = _read_pages(qtbot, window, 0, 2, REPLACE)
    # THEN page 2's region was replaced by the lines found there, every page read
    assert session.get(drawn) is None and {r.page for r in session.regions()} == {0, 1, 2}
    assert [r.id for r in session.regions()] == new


def test_the_new_commands_are_in_the_menus_and_the_shortcut_sheet(qtbot, make_window):
    window = make_window(model=None)
    sheet = {what: keys for keys, what in shortcut_sheet()}
    assert window.commands["move_up"].shortcut().toString() == "Alt+Up"
    assert window.commands["move_down"].shortcut().toString() == "Alt+Down"
    assert any("Move the region up" in what and keys == "Alt+Up" for what, keys in sheet.items())
    assert not window.commands["read_pages"].isEnabled()  # no document yet
    assert window.commands["read_pages"].text() == "Read pa&ges…"
