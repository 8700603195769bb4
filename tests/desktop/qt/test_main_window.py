"""The real window, offscreen, on a real (randomly initialised) PARSeq: garbage text, real pipeline."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from desktop.core.regions import RegionStatus
from tests.desktop.qt.conftest import wait_page

pytestmark = pytest.mark.gui


def lasso(qtbot, window, points: list[tuple[float, float]]) -> None:
    """Drag the mouse through ``points`` (page pixels) with the lasso tool, as a person would."""
    view = window.view
    vp = view.viewport()
    pos = [view.mapFromScene(QPointF(x, y)) for x, y in points]
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=pos[0])
    for p in pos[1:]:
        qtbot.mouseMove(vp, p)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=pos[-1])


def read_region(qtbot, window, points) -> str:
    """Lasso ``points`` and wait until the recogniser's text is in the session; returns the region id."""
    with qtbot.waitSignal(window.recognition.region_read, timeout=30000) as blocker:
        lasso(qtbot, window, points)
    return blocker.args[0]


def open_page(qtbot, make_window, path, **kwargs):
    """A new window showing ``path``, its first page rendered."""
    window = make_window(**kwargs)
    assert window.open_path(path)
    wait_page(qtbot, window)
    return window


LINE_2: list[tuple[float, float]] = [
    (60, 180),
    (400, 170),
    (760, 182),
    (770, 260),
    (380, 268),
    (55, 255),
]  # around "BP 120/80 ..."


def test_lasso_reads_the_region_and_the_panel_shows_text_with_marks(qtbot, make_window, page_png):
    # GIVEN the window on a generated page
    window = open_page(qtbot, make_window, page_png)
    # WHEN a lasso is drawn with the mouse
    rid = read_region(qtbot, window, LINE_2)
    # THEN the region is read, in page pixels whatever the zoom, and its text is in the panel
    region = window.documents.session.get(rid)
    assert region.status == RegionStatus.READ
    xs = [p[0] for p in region.polygon]
    assert min(xs) == pytest.approx(55, abs=3) and max(xs) == pytest.approx(770, abs=3)
    assert window.navigator.current_id == rid
    assert window.panel.edited_text == region.text != ""
    assert window.panel.crop.pixmap() is not None and not window.panel.crop.pixmap().isNull()
    # a random model is unsure of everything: doubtful characters are marked
    low = [i for i, c in enumerate(region.confidences) if c < 0.6]
    assert window.panel.editor.highlighter.marked_positions() == low
    assert window.view.region_item(rid) is not None
    assert window.recognition.last_latency_ms is not None and "ms" in window.status.latency.text()


def test_rectangle_tool_and_zoom_keep_page_pixels(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    window.view.set_zoom(1.7)
    qtbot.keyClick(window.view, Qt.Key.Key_R)
    assert window.view.tool == "rect" and window.commands["rect"].isChecked()
    rid = read_region(qtbot, window, [(70, 90), (300, 150), (700, 160)])
    x0, y0, x1, y1 = window.documents.session.get(rid).bbox
    assert (x0, y0, x1, y1) == pytest.approx((70, 90, 700, 160), abs=2)


def test_correct_from_the_keyboard_then_undo_and_redo(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    model_text = window.documents.session.get(rid).text
    # WHEN the clerk edits (F2), replaces the text and presses Enter
    window.navigator.edit_current()
    assert window.panel.editor.hasFocus() or window.panel.editor.isEnabled()
    window.panel.editor.selectAll()
    qtbot.keyClicks(window.panel.editor, "BP 120/80 pulse 72")
    assert window.panel.editor.highlighter.marked_positions() == []  # typed characters are certain
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return)
    # THEN the session holds the correction
    region = window.documents.session.get(rid)
    assert region.text == "BP 120/80 pulse 72" and region.status == RegionStatus.CORRECTED
    assert window.commands["undo"].isEnabled() and "Edit text" in window.commands["undo"].text()
    # undo / redo go through the QUndoStack to the session
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.documents.session.get(rid).text == model_text
    assert window.documents.session.get(rid).status == RegionStatus.READ
    assert window.statusBar().currentMessage() == "Undone: Edit text"  # said, whichever region is shown
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.documents.session.get(rid).text == "BP 120/80 pulse 72"
    assert window.statusBar().currentMessage() == "Redone: Edit text"
    # Shift+Enter is a newline, Ctrl+Enter verifies
    window.navigator.select(rid)
    window.navigator.edit_current()
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.panel.editor, "Plan")
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    region = window.documents.session.get(rid)
    assert region.text == "BP 120/80 pulse 72\nPlan" and region.status == RegionStatus.VERIFIED
    window.undo.undo()
    assert window.documents.session.get(rid).status == RegionStatus.CORRECTED


def test_keys_in_the_editor_stay_in_the_editor_until_they_mean_the_session(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    model_text = window.documents.session.get(rid).text
    window.navigator.edit_current()
    ed = window.panel.editor
    ed.selectAll()
    qtbot.keyClicks(ed, "LRV")  # tool keys type letters in the editor
    assert ed.toPlainText() == "LRV" and window.view.tool == "lasso"
    qtbot.keyClick(ed, Qt.Key.Key_Left)
    qtbot.keyClick(ed, Qt.Key.Key_Delete)  # deletes a character, not the region
    assert ed.toPlainText() == "LR" and window.documents.session.get(rid) is not None
    qtbot.keyClick(ed, Qt.Key.Key_Return)
    assert window.documents.session.get(rid).text == "LR"
    # Ctrl+Z in a freshly loaded editor has no typing to undo: it undoes the session's last step
    window.navigator.select(rid)
    window.navigator.edit_current()
    qtbot.keyClick(ed, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.documents.session.get(rid).text == model_text
    assert ed.toPlainText() == model_text
    # with typing to undo, Ctrl+Z undoes the typing only
    qtbot.keyClicks(ed, "x")
    qtbot.keyClick(ed, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ed.toPlainText() == model_text and window.documents.session.get(rid).text == model_text
    assert window.documents.session.get(rid) is not None


def test_escape_cancels_an_edit(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    before = window.documents.session.get(rid).text
    window.navigator.edit_current()
    qtbot.keyClicks(window.panel.editor, "xyz")
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Escape)
    assert window.panel.edited_text == before
    assert window.documents.session.get(rid).text == before


def test_tab_f8_delete_and_undo_delete(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    first = read_region(qtbot, window, [(60, 85), (760, 85), (760, 160), (60, 160)])
    second = read_region(qtbot, window, LINE_2)
    ids = [r.id for r in window.documents.session.regions(0)]
    assert ids == [first, second]  # reading order
    window.navigator.select(first)
    window.navigator.edit_current()
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Tab)
    assert window.navigator.current_id == second
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert window.navigator.current_id == first
    window.navigator.next_doubtful()  # F8: the random model doubts everything
    assert window.navigator.current_id == second
    # Delete (outside the editor) removes; undo brings it back with its text
    window.view.setFocus()
    text = window.documents.session.get(second).text
    window.navigator.delete_current()
    assert window.documents.session.get(second) is None and window.view.region_item(second) is None
    window.undo.undo()
    assert window.documents.session.get(second).text == text
    assert window.view.region_item(second) is not None


def test_tab_and_f8_go_on_to_regions_on_other_pages(qtbot, make_window, note_pdf):
    # GIVEN a 3-page PDF with a region on page 1 and one on page 3 (page 2 has none)
    window = open_page(qtbot, make_window, note_pdf)
    window.set_tool("rect")
    first = read_region(qtbot, window, [(190, 230), (900, 300)])
    window.documents.show_page(2)
    wait_page(qtbot, window, 2)
    last = read_region(qtbot, window, [(190, 230), (900, 300)])
    window.documents.show_page(0)
    wait_page(qtbot, window, 0)
    window.navigator.select(first)
    window.navigator.edit_current()
    window.documents.pages._pages.pop(2, None)  # page 3 must render again: Tab waits for it
    # WHEN Tab is pressed in the editor of the page's last region
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Tab)
    # THEN the window turns to page 3 and selects its region, ready to type
    qtbot.waitUntil(lambda: window.navigator.current_id == last, timeout=15000)
    assert window.documents.page_index == 2 and window.panel.editor.hasFocus()
    # Tab on the document's last region stays there and says so
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Tab)
    assert window.navigator.current_id == last and "Last region in the document" in window.statusBar().currentMessage()
    # Shift+Tab goes back across pages; F8 wraps round the document (a random model doubts everything)
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.navigator.current_id == first and window.documents.page_index == 0, timeout=15000)
    window.navigator.next_doubtful()
    qtbot.waitUntil(lambda: window.navigator.current_id == last and window.documents.page_index == 2, timeout=15000)
    window.navigator.next_doubtful()
    qtbot.waitUntil(lambda: window.navigator.current_id == first and window.documents.page_index == 0, timeout=15000)


def test_reread_and_move_region(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    with qtbot.waitSignal(window.recognition.region_read, timeout=30000):
        window.navigator.reread_current()
    moved = [(x + 10, y + 90) for x, y in window.documents.session.get(rid).polygon]
    with qtbot.waitSignal(window.recognition.region_read, timeout=30000):
        window.view.region_moved.emit(rid, moved)
    assert window.documents.session.get(rid).polygon == tuple(moved)
    assert window.documents.session.get(rid).status == RegionStatus.READ
    window.undo.undo()
    assert window.documents.session.get(rid).polygon != tuple(moved)


def test_export_every_format_through_the_core(qtbot, make_window, page_png, tmp_path):
    from desktop.core.export import FORMATS

    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    window.navigator.edit_current()
    window.panel.editor.selectAll()
    qtbot.keyClicks(window.panel.editor, "BP 120/80 pulse 72")
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return)
    assert window.documents.session.get(rid).text == "BP 120/80 pulse 72"
    for fmt, (_label, ext) in FORMATS.items():
        out = tmp_path / "out" / f"note-{fmt}{ext}"
        out.parent.mkdir(exist_ok=True)
        assert window.export_menu.export_to(fmt, out), window.hooks.errors
        assert out.is_file() and out.stat().st_size > 0
        if fmt == "txt":
            assert "BP 120/80 pulse 72" in out.read_text(encoding="utf-8")
        elif fmt == "csv":
            rows = list(csv.reader(out.open(encoding="utf-8")))
            assert any("BP 120/80 pulse 72" in cell for row in rows for cell in row)
        elif fmt == "json":
            assert "BP 120/80 pulse 72" in json.dumps(json.loads(out.read_text(encoding="utf-8")))
        elif fmt in ("alto", "page"):
            ET.parse(out)
            assert "pulse" in out.read_text(encoding="utf-8")
        elif fmt == "hocr":
            assert "pulse" in out.read_text(encoding="utf-8")
        elif fmt == "pdf":
            import pymupdf

            with pymupdf.open(str(out)) as doc:
                assert "pulse" in doc[0].get_text()
    assert window.hooks.errors == []


def test_close_and_reopen_restores_regions_and_history(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    window.navigator.edit_current()
    window.panel.editor.selectAll()
    qtbot.keyClicks(window.panel.editor, "pulse 72")
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return)
    window.close()
    # WHEN the document is opened again in a new window (same settings and store)
    again = make_window()
    assert again.open_path(page_png)
    wait_page(qtbot, again)
    region = again.documents.session.get(rid)
    assert region is not None and region.text == "pulse 72"
    assert again.view.region_item(rid) is not None
    assert again.undo.stack.canUndo() and again.undo.stack.undoText() == "Edit text"
    again.undo.undo()
    assert again.documents.session.get(rid).text != "pulse 72"


def test_file_on_the_command_line_opens(qtbot, make_window, note_pdf):
    window = make_window(str(note_pdf))
    wait_page(qtbot, window)
    assert "note.pdf" in window.windowTitle() and "page 1 of 3" in window.windowTitle()
    # PDF pages render at the session dpi (200): letter width 8.5 in -> 1700 px
    assert window.documents.page_array(0).shape[1] == 1700
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    wait_page(qtbot, window, 1)
    assert "page 2 of 3" in window.windowTitle()
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp)
    wait_page(qtbot, window, 0)
    qtbot.waitUntil(lambda: not window.thumbs.item(2).icon().isNull(), timeout=10000)
    window.view.rotate_page(90)
    assert window.view.rotation == 90


def test_a_sideways_scan_is_turned_read_upright_and_reopens_turned(qtbot, make_window, page_png):
    import numpy as np
    from PIL import Image

    # GIVEN the same note as an upright scan and as a sideways one (turned a quarter to the left)
    upright = open_page(qtbot, make_window, page_png)
    upright.set_tool("rect")
    expected = upright.documents.session.get(read_region(qtbot, upright, [(60, 170), (770, 265)])).text
    sideways_png = page_png.with_name("sideways.png")
    Image.fromarray(np.rot90(np.asarray(Image.open(page_png).convert("L")))).save(sideways_png)
    window = open_page(qtbot, make_window, sideways_png)
    # WHEN the reader turns the page (Ctrl+]) and draws around the line as it now reads
    window.commands["rotate"].trigger()
    assert window.view.rotation == 90
    window.set_tool("rect")
    rid = read_region(qtbot, window, [(170, 430), (265, 1140)])
    # THEN the region is read upright: the same text as the upright scan, a crop wider than tall
    region = window.documents.session.get(rid)
    assert region.rotation == 90 and region.text == expected
    crop = window.panel.crop.pixmap()
    assert crop.width() > crop.height()
    # and the turn is kept with the review: reopening shows the page turned
    window.close()
    again = open_page(qtbot, make_window, sideways_png)
    assert again.view.rotation == 90 and again.documents.session.get(rid).rotation == 90


def test_corrupt_file_reports_and_the_window_keeps_working(qtbot, make_window, tmp_path, page_png):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    notpic = tmp_path / "scan.png"
    notpic.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    window = make_window()
    assert not window.open_path(bad)
    assert not window.open_path(notpic)
    assert not window.open_path(tmp_path / "missing.tif")
    assert len(window.hooks.errors) == 3
    assert all(msg for _title, msg, _hint in window.hooks.errors)
    assert "broken.pdf" in window.hooks.errors[0][1]
    # THEN the window still opens and reads a good document
    assert window.open_path(page_png)
    wait_page(qtbot, window)
    read_region(qtbot, window, LINE_2)


def test_password_pdf_asks_for_the_password(qtbot, make_window, locked_pdf):
    window = make_window()
    window.hooks.passwords = ["wrong", "s3cret"]
    assert window.open_path(locked_pdf)
    assert window.hooks.password_prompts == [("locked.pdf", False), ("locked.pdf", True)]
    wait_page(qtbot, window)
    # cancelling the prompt leaves the window as it was, without an error dialog
    window.hooks.passwords = [None]
    assert not window.open_path(locked_pdf)
    assert window.hooks.errors == []
    assert window.documents.document is not None


def test_no_model_shows_a_banner_and_viewing_still_works(qtbot, make_window, page_png, tmp_path, monkeypatch):
    import inference.models

    monkeypatch.setattr(inference.models, "default_model_path", lambda: None)
    window = make_window(model=None)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=15000)
    assert "No recognition model: see Settings" in window.banner.label.text()
    assert window.open_path(page_png)
    wait_page(qtbot, window)
    lasso(qtbot, window, LINE_2)  # drawn regions wait for a model
    (region,) = window.documents.session.regions(0)
    assert region.status == RegionStatus.PENDING
    assert window.hooks.errors == []


def test_remote_backend_shows_the_badge(qtbot, make_window):
    window = make_window("--backend", "triton", "--url", "ocr.example.org:8001", wait_backend=False)
    assert window.status.remote_badge.isVisible()
    assert window.status.remote_badge.text() == "REMOTE: ocr.example.org"
    # no server (or no client) here: a banner, never a traceback or a blocking dialog
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=30000)
    assert window.hooks.errors == []


def test_settings_dialog_tests_the_connection(qtbot, make_window, micro_onnx):
    from desktop.qt.dialogs import SettingsDialog

    window = make_window()
    dlg = SettingsDialog(window.settings.values(), window, pool=window.pool)
    qtbot.addWidget(dlg)
    assert dlg.values()["backend/model_path"] == str(micro_onnx)
    with qtbot.waitSignal(dlg.connection_tested, timeout=30000) as blocker:
        dlg.test_button.click()
    ok, message = blocker.args
    assert ok and "micro-test" in message and "ms" in message
    # TensorRT (absent here) explains how to install it instead of failing
    dlg.kind.setCurrentIndex(dlg.kind.findData("tensorrt"))
    with qtbot.waitSignal(dlg.connection_tested, timeout=30000) as blocker:
        dlg.test_button.click()
    ok, message = blocker.args
    if not ok:
        assert "Traceback" not in message and message
        assert "pip install" in dlg.hints["tensorrt"].text() or "TensorRT" in message
    # applying new settings reopens the back end
    values = dlg.values() | {"backend/kind": "cpu", "review/confidence_threshold": 0.3}
    window.apply_settings(values)
    assert window.settings.get("review/confidence_threshold") == pytest.approx(0.3)
    qtbot.waitUntil(lambda: window.recognition.recognizer is not None, timeout=30000)


def test_shortcut_sheet_lists_the_review_keys(qtbot, make_window):
    from desktop.qt.actions import shortcut_sheet
    from desktop.qt.dialogs import ShortcutsDialog

    sheet = shortcut_sheet()
    keys = " ".join(k for k, _ in sheet)
    for key in ("Tab", "F2", "F8", "Ctrl+Enter", "Shift+Enter", "Esc", "Ctrl+R", "Delete", "Ctrl+Z", "F1"):
        assert key in keys
    # the sheet is made from the window's real bindings: every shortcut of the window is on it
    window = make_window(wait_backend=False)
    listed = {part for k, _ in sheet for part in k.split(" / ")}
    for act in window.findChildren(QAction):
        for seq in (s for s in act.shortcuts() if not s.isEmpty()):
            shown = (
                "+".join(
                    {"Return": "Enter", "Del": "Delete", "PgDown": "PgDn"}.get(p, p) for p in seq.toString().split("+")
                )
                if seq.toString() != "+"
                else "+"
            )
            assert shown in listed, (act.text(), shown)
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(sheet)


def test_drop_a_file_on_the_window_opens_it(qtbot, make_window, page_png):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(page_png))])
    how = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.documents.opened, timeout=10000):  # as a file manager drags: enter, then drop
        QApplication.sendEvent(window, QDragEnterEvent(QPoint(200, 200), *how))
        QApplication.sendEvent(window, QDropEvent(QPointF(200, 200), *how))
    wait_page(qtbot, window)
    assert window.documents.document.path == page_png
    assert window.settings.recent_files()[0] == str(page_png.resolve())


def test_space_drag_pans_and_ctrl_wheel_zooms(qtbot, make_window, note_pdf):
    window = make_window(str(note_pdf))
    wait_page(qtbot, window)
    view = window.view
    view.set_zoom(1.0)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    before = bar.value()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(vp, QPoint(300, 200))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert bar.value() == before + 100
    assert window.documents.session.regions() == []  # panning drew nothing
    window.commands["zoom_in"].trigger()
    assert view.zoom == pytest.approx(1.25)
    window.commands["fit_page"].trigger()
    assert view.zoom < 1.0


def test_drag_a_corner_handle_to_reshape_then_the_region_is_read_again(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, [(60, 180), (760, 180), (760, 260), (60, 260)])
    window.set_tool("select")
    item = window.view.region_item(rid)
    assert item.isSelected() and item.handles[2].isVisible()
    vp = window.view.viewport()
    start = window.view.mapFromScene(QPointF(760, 260))
    end = window.view.mapFromScene(QPointF(800, 300))
    with qtbot.waitSignal(window.recognition.region_read, timeout=30000):
        qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(vp, end)
        qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    x0, y0, x1, y1 = window.documents.session.get(rid).bbox
    assert (x0, y0) == pytest.approx((60, 180), abs=1)
    assert (x1, y1) == pytest.approx((800, 300), abs=3)
    assert window.undo.stack.undoText() == "Reshape region"


def test_export_menu_writes_the_current_page_where_the_dialog_says(qtbot, make_window, note_pdf, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = make_window(str(note_pdf))
    wait_page(qtbot, window)
    read_region(qtbot, window, [(180, 230), (900, 230), (900, 300), (180, 300)])
    target = tmp_path / "chosen.json"
    asked = []

    def fake_save(_parent, caption, default, _filter):
        asked.append((caption, default))
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    submenus = [a.menu() for a in window.export_menu.actions() if a.menu()]
    assert [m.title() for m in submenus] == ["Whole document", "Current page"]
    json_action = next(a for a in submenus[1].actions() if a.text().startswith("JSON"))
    json_action.trigger()
    assert asked and asked[0][1].endswith("-p1.json")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data  # the core's export: parsed, not inspected here
    # the next export is offered in the folder chosen last, ALTO and PAGE XML under names of their own
    target = tmp_path / "elsewhere" / "x.xml"
    target.parent.mkdir()
    window.export_menu.choose("alto", "document")
    window.export_menu.choose("page", "document")
    assert Path(asked[1][1]) == tmp_path / f"{note_pdf.stem}.alto.xml"
    assert Path(asked[2][1]) == target.parent / f"{note_pdf.stem}.page.xml"
    # a folder that cannot be written is reported, and the window stays usable
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(tmp_path / "no" / "such" / "dir" / "x.txt"), ""))
    )
    window.export_menu.choose("txt", "document")
    written = (tmp_path / "no" / "such" / "dir" / "x.txt").exists()
    assert written or (window.hooks.errors and window.hooks.errors[-1][0] == "Export failed")


def test_opening_the_same_document_again_keeps_one_session(qtbot, make_window, page_png):
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    assert window.open_path(page_png)
    wait_page(qtbot, window)
    assert [r.id for r in window.documents.session.regions()] == [rid]


def test_multi_page_tiff_pages(qtbot, make_window, tmp_path):
    from PIL import Image, ImageDraw

    frames = []
    for i in range(2):
        img = Image.new("L", (800, 600), 255)
        ImageDraw.Draw(img).text((50, 50 + 100 * i), f"page {i + 1}", fill=0)
        frames.append(img)
    path = tmp_path / "scan.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    window = make_window(str(path))
    wait_page(qtbot, window)
    assert window.documents.document.page_count == 2 and window.pages_dock.isVisible()
    window.commands["next_page"].trigger()
    wait_page(qtbot, window, 1)
    rid = read_region(qtbot, window, [(40, 140), (300, 140), (300, 200), (40, 200)])
    assert window.documents.session.get(rid).page == 1


def test_a_region_drawn_on_a_sideways_page_is_read_upright_and_the_reader_is_told(
    qtbot, make_window, page_png, bundled_model
):
    import numpy as np
    from PIL import Image

    # GIVEN a sideways scan, not turned in the view
    upright = open_page(qtbot, make_window, page_png, model=bundled_model)
    upright.set_tool("rect")
    expected = upright.documents.session.get(read_region(qtbot, upright, [(60, 170), (770, 265)])).text
    sideways_png = page_png.with_name("sideways.png")
    Image.fromarray(np.rot90(np.asarray(Image.open(page_png).convert("L")))).save(sideways_png)
    window = open_page(qtbot, make_window, sideways_png, model=bundled_model)
    assert window.view.rotation == 0
    # WHEN the reader draws around the line as it lies (running up the page)
    window.set_tool("rect")
    rid = read_region(qtbot, window, [(170, 430), (265, 1140)])
    # THEN it reads what the upright scan reads, and the status bar says it was read turned
    region = window.documents.session.get(rid)
    assert region.text == expected
    assert "read turned 90" in window.statusBar().currentMessage()
    # AND the region keeps the turn: its crop preview shows the line upright, as it was read
    assert region.rotation == 90
    crop = window.panel.crop.pixmap()
    assert crop.width() > crop.height()


def test_every_command_of_the_table_calls_a_real_slot_of_the_window(qtbot, make_window):
    import pytest as _pytest

    from desktop.qt.actions import ACTIONS, ActionSpec, resolve_slot

    window = make_window(wait_backend=False)
    menu_specs = [spec for spec in ACTIONS if spec.menu]
    assert {spec.id for spec in menu_specs} == set(window.commands)
    for spec in menu_specs:
        assert callable(resolve_slot(window, spec)), spec.id
    with _pytest.raises(AttributeError):
        resolve_slot(window, ActionSpec("typo", "Typo", menu="Edit", slot="navigator.no_such_method"))


def test_sign_off_from_the_menu_is_shown_and_a_later_change_reopens_it_visibly(qtbot, make_window, page_png):
    # GIVEN a page with one region, not yet reviewed: signing off is refused with a reason
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    window.commands["sign_off"].trigger()
    assert window.hooks.errors and "sign" in window.hooks.errors[-1][0].lower()
    # WHEN the region is verified and the document signed off from the Review menu
    window.navigator.select(rid)
    window.navigator.verify_and_next()
    window.commands["sign_off"].trigger()
    # THEN the banner names the sign-off
    qtbot.waitUntil(lambda: window.review_banner.isVisible(), timeout=5000)
    assert "Signed off by" in window.review_banner.label.text()
    # WHEN the text is changed afterwards THEN the banner says the sign-off was reopened
    window.navigator.select(rid)
    window.navigator.edit_current()
    qtbot.keyClicks(window.panel.editor, " x")
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "reopened" in window.review_banner.label.text(), timeout=5000)
