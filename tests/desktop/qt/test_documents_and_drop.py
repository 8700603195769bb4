"""Several documents in one session: real drops of files and folders, the document list, PDF options."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog

from tests.desktop.qt.conftest import wait_page


def _png(path: Path, text: str = "note") -> Path:
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(img).text((40, 40), text, fill="black")
    img.save(path)
    return path


def _drop(target, paths: list[Path], at: tuple[int, int] = (300, 300)) -> tuple[bool, bool]:
    """Drag ``paths`` (as file URLs, as a file manager does) over ``target`` and drop them there.

    Returns whether the drag was accepted on entering and whether the drop was.
    """
    pos = QPoint(*at)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    actions, buttons, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(QPointF(pos), actions, mime, buttons, mods)
    QApplication.sendEvent(target, drop)
    return enter.isAccepted(), drop.isAccepted()


def _names(window) -> list[str]:
    return [e.path.name for e in window.doc_list.model.entries]


def _item_text(window, row: int) -> str:
    return window.doc_list.list.item(row).text()


def _click_row(qtbot, window, row: int) -> None:
    lst = window.doc_list.list
    rect = lst.visualItemRect(lst.item(row))
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder as scanners leave them: numbered pages, a subfolder, hidden things and a stray text file."""
    root = tmp_path / "ward"
    _png(root / "scan10.png")
    _png(root / "scan2.png")
    _png(root / "later" / "scan1.png")
    _png(root / ".thumbnails" / "scan2.png")  # a hidden folder: never entered
    _png(root / ".hidden.png")
    (root / "readme.txt").write_text("not a scan", encoding="utf-8")
    return root


def test_dropping_files_and_a_folder_lists_every_document_and_opens_the_first(qtbot, make_window, page_png, folder):
    # GIVEN the window with nothing open
    window = make_window()
    # WHEN a file and a folder are dragged from a file manager and dropped on the window
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        entered, dropped = _drop(window, [page_png, folder])
    # THEN the drag was taken, every supported file joined the list in reading order (not into
    # hidden folders), the first one dropped is open, and the list is shown
    assert entered and dropped
    assert _names(window) == ["note.png", "scan2.png", "scan10.png", "scan1.png"]
    assert window.doc_list.model.entries[3].path == folder / "later" / "scan1.png"
    wait_page(qtbot, window)
    assert window.documents.document.path == page_png
    assert window.doc_list.dock.isVisible() and window.commands["document_list"].isChecked()
    # AND the file that is not a scan is named once in the status bar, once the page is up
    qtbot.waitUntil(lambda: "readme.txt" in window.statusBar().currentMessage(), timeout=5000)
    assert "Skipped 1 file" in window.statusBar().currentMessage()
    assert window.hooks.errors == []


def test_a_drop_on_the_page_reaches_the_list_and_a_drag_of_no_file_is_refused(qtbot, make_window, page_png, folder):
    window = make_window(str(page_png))
    wait_page(qtbot, window)
    # GIVEN a drag holding only text: refused
    mime = QMimeData()
    mime.setText("BP 120/80")
    refused = QDragEnterEvent(
        QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()
    # WHEN two files are dropped on the page itself (the view's viewport), not the frame
    second = folder / "scan2.png"
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        entered, dropped = _drop(window.view.viewport(), [second, folder / "scan10.png"])
    # THEN the drop went up to the window: both join the list after the open one; the first dropped opens
    assert entered and dropped
    assert _names(window) == ["note.png", "scan2.png", "scan10.png"]
    assert window.documents.document.path == second


def test_clicking_a_document_in_the_list_switches_to_it_and_keeps_each_review(qtbot, make_window, page_png, folder):
    # GIVEN three documents in the list, the first open with a region whose text was corrected
    window = make_window()
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        _drop(window, [page_png, folder / "scan2.png", folder / "scan10.png"])
    wait_page(qtbot, window)
    session = window.documents.session
    region = session.add_region(0, [(60, 80), (700, 80), (700, 160), (60, 160)])
    session.set_text(region.id, "Patient seen today")
    assert "1 page" in _item_text(window, 0) and "1 region, 1 reviewed" in _item_text(window, 0)
    # WHEN the reviewer clicks the third document
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        _click_row(qtbot, window, 2)
    # THEN it is open, bold in the list, and the first keeps its counts
    wait_page(qtbot, window)
    assert window.documents.document.path.name == "scan10.png"
    assert window.doc_list.list.item(2).font().bold() and not window.doc_list.list.item(0).font().bold()
    assert "1 region, 1 reviewed" in _item_text(window, 0)
    assert "Not opened yet" in _item_text(window, 1)
    # AND going back finds the review as it was left
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        _click_row(qtbot, window, 0)
    assert [r.text for r in window.documents.session.regions()] == ["Patient seen today"]


def test_ctrl_page_keys_step_through_the_list(qtbot, make_window, page_png, folder):
    window = make_window()
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        _drop(window, [page_png, folder / "scan2.png", folder / "scan10.png"])
    wait_page(qtbot, window)
    window.view.setFocus()
    for expected in ("scan2.png", "scan10.png"):
        with qtbot.waitSignal(window.documents.opened, timeout=10000):
            qtbot.keyClick(window.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        assert window.documents.document.path.name == expected
    # past the end: nothing changes, and the status bar says so
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.documents.document.path.name == "scan10.png"
    assert "No next document" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        qtbot.keyClick(window.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.documents.document.path.name == "scan2.png"
    assert window.documents.page_index == 0  # PgUp alone turns pages; with Ctrl it changes document


@pytest.mark.parametrize("damage", ["not a pdf", "truncated"])
def test_a_document_that_will_not_open_says_why_in_the_list_and_nothing_is_lost(
    qtbot, make_window, page_png, note_pdf, tmp_path, damage
):
    # GIVEN a reviewed document open and a damaged PDF queued after it (or a real one cut inside its
    # page's content: MuPDF repairs it, but no page of it can be drawn)
    broken = tmp_path / "broken.pdf"
    whole = note_pdf.read_bytes()
    cut = whole[: whole.index(b"stream") + 16]
    broken.write_bytes(b"%PDF-1.7\nthis is not a pdf" if damage == "not a pdf" else cut)
    window = make_window()
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        _drop(window, [page_png, broken])
    wait_page(qtbot, window)
    region = window.documents.session.add_region(0, [(60, 80), (700, 80), (700, 160), (60, 160)])
    # WHEN the reviewer clicks the damaged one
    _click_row(qtbot, window, 1)
    # THEN the list says why, next to the file, the open document and its review stay, nothing is removed
    assert window.hooks.errors and window.hooks.errors[-1][0] == "Cannot open broken.pdf"
    assert "Could not open:" in _item_text(window, 1)
    assert window.hooks.errors[-1][1] in _item_text(window, 1)
    assert window.documents.document.path == page_png
    assert [r.id for r in window.documents.session.regions()] == [region.id]
    assert _names(window) == ["note.png", "broken.pdf"]
    # AND Ctrl+PgUp from the failed entry goes back to the first (not stuck on the broken one)
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.documents.document.path == page_png


def test_open_with_several_files_adds_them_all_and_the_view_menu_toggles_the_list(
    qtbot, make_window, page_png, folder, monkeypatch
):
    chosen = [str(folder / "scan2.png"), str(page_png), str(folder / "scan10.png")]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (chosen, ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (chosen[0], ""))  # a one-file dialog
    window = make_window()
    with qtbot.waitSignal(window.documents.opened, timeout=10000):
        window.commands["open"].trigger()
    assert _names(window) == ["scan2.png", "note.png", "scan10.png"]
    assert window.documents.document.path.name == "scan2.png"
    toggle = window.commands["document_list"]
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert toggle in view_menu.actions()
    assert window.doc_list.dock.isVisible()
    toggle.trigger()
    assert not window.doc_list.dock.isVisible() and not toggle.isChecked()
    toggle.trigger()
    assert window.doc_list.dock.isVisible() and toggle.isChecked()


def test_pdf_export_asks_resolution_and_quality_previews_the_text_layer_and_honours_them(
    qtbot, make_window, note_pdf, tmp_path, monkeypatch
):
    import pymupdf

    from desktop.qt.pdf_options import PdfOptionsDialog

    # GIVEN a PDF with a reviewed region on page 1
    window = make_window(str(note_pdf))
    wait_page(qtbot, window)
    session = window.documents.session
    region = session.add_region(0, [(150, 220), (1000, 220), (1000, 300), (150, 300)])
    session.set_text(region.id, "Clinical note page 1")
    out = tmp_path / "searchable.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    seen: dict[str, object] = {}

    def choose_options() -> None:
        # WHEN the options dialog opens: 150 dpi, JPEG 85, with the preview shown each time
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PdfOptionsDialog)
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=15000)
        seen["copied"] = dialog.info.text()
        dpi = dialog.findChild(QComboBox, "export/pdf_dpi")
        quality = dialog.findChild(QComboBox, "export/pdf_quality")
        assert dpi is not None and quality is not None
        with qtbot.waitSignal(dialog.preview_shown, timeout=15000):
            dpi.setCurrentIndex(dpi.findData(150))
        with qtbot.waitSignal(dialog.preview_shown, timeout=15000):
            quality.setCurrentIndex(quality.findData(85))
        seen["info"] = dialog.info.text()
        assert dialog.preview is not None
        seen["words"] = [w[4] for w in dialog.preview.words]
        seen["pixmap"] = not dialog.picture.pixmap().isNull()
        dialog.export_button.click()

    QTimer.singleShot(0, choose_options)
    window.export_menu.choose("pdf", "document")
    # THEN the preview showed the copied page, then a 150-dpi JPEG page with the reviewed words
    assert "page copied as it is" in str(seen["copied"])
    assert "1275 x 1650 px (150 dpi), JPEG, quality 85" in str(seen["info"])
    assert seen["words"] == ["Clinical", "note", "page", "1"] and seen["pixmap"]
    # AND the export honours them: one JPEG image a page at 150 dpi, the text layer extracts
    with pymupdf.open(str(out)) as doc:
        assert doc.page_count == 3
        [img] = doc[0].get_images(full=True)
        info = doc.extract_image(img[0])
        assert (info["width"], info["height"], info["ext"]) == (1275, 1650, "jpeg")
        assert doc[0].get_text().split() == ["Clinical", "note", "page", "1"]
    # AND the choice is remembered for the next export
    assert window.settings.get("export/pdf_dpi") == 150 and window.settings.get("export/pdf_quality") == 85


def test_a_page_that_cannot_be_drawn_is_told_and_the_others_still_show(qtbot, make_window, tmp_path):
    # GIVEN a 2-page PDF whose first page's content is scrambled
    from tests.corpus import _garbled_first_page, _pdf_bytes

    path = tmp_path / "garbled.pdf"
    path.write_bytes(_garbled_first_page(_pdf_bytes(2)))
    window = make_window()
    # WHEN it is opened
    assert window.open_path(path)
    qtbot.waitUntil(lambda: bool(window.hooks.errors), timeout=10000)
    # THEN the reviewer is told page 1 cannot be shown, and the status bar says so (not "Rendering page 1")
    assert window.hooks.errors[-1][0] == "Cannot show page 1" and "damaged" in window.hooks.errors[-1][1]
    assert window.statusBar().currentMessage() == "Page 1 cannot be shown."
    # AND page 2 shows
    window.documents.show_page(1)
    wait_page(qtbot, window, 1)
    assert window.documents.page_index == 1 and window.view.has_page
