"""What a first-time reviewer trips on (issue 15), each checked on the real window offscreen."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu

from desktop.core.regions import RegionStatus
from tests.desktop.qt.conftest import wait_page
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


def test_doubt_is_shown_with_a_legend_a_figure_and_not_by_colour_alone(qtbot, make_window, page_png):
    # GIVEN a region read by the random model (it doubts everything)
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    region = window.documents.session.get(rid)
    panel = window.panel
    # THEN the panel explains the colours and the mark
    legend = panel.legend.text()
    for word in ("Read", "Corrected", "Verified", "Failed", "⚑"):
        assert word in legend
    # a confidence figure: the lowest character's, as a percentage
    assert f"{math.floor(region.min_confidence * 100)}%" in panel.confidence_label.text()  # 59.7% is not "60%"
    # per character on hover
    assert "%" in panel.editor.confidence_tip(0)
    # a non-colour cue on the page and in the editor: a flag on the region, a bold wavy mark
    assert window.view.region_item(rid).is_flagged
    fmt = panel.editor.highlighter.mark_format
    assert fmt.fontWeight() >= 600 and fmt.underlineStyle() == fmt.UnderlineStyle.WaveUnderline


def test_changing_page_scrolls_to_the_top_of_the_new_page(qtbot, make_window, note_pdf):
    # GIVEN a long page, fitted to width and scrolled to its bottom
    window = open_page(qtbot, make_window, note_pdf)
    window.view.set_zoom(2.0)
    bar = window.view.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > bar.minimum()
    # WHEN the next page is shown
    window.documents.next_page()
    wait_page(qtbot, window, 1)
    # THEN its top is in view (once its image, rendered off the GUI thread, is shown)
    qtbot.waitUntil(lambda: bar.value() == bar.minimum(), timeout=5000)


def test_a_view_showing_the_top_of_the_page_keeps_it_when_resized(qtbot, make_window, note_pdf):
    # GIVEN a page zoomed in, its top in view
    window = open_page(qtbot, make_window, note_pdf)
    view = window.view
    view.set_zoom(2.0)
    bar = view.verticalScrollBar()
    bar.setValue(bar.minimum())
    # WHEN the view gets shorter (the window's rows settle, the reviewer resizes it)
    view.resize(view.width(), view.height() - 40)
    # THEN the top stays in view
    assert bar.value() == bar.minimum()
    # AND a view scrolled into the page keeps its centre instead (it moves by half the change)
    bar.setValue((bar.minimum() + bar.maximum()) // 2)
    before = bar.value()
    view.resize(view.width(), view.height() - 40)
    assert bar.value() == pytest.approx(before + 20, abs=2)


def test_undo_of_a_new_region_clears_the_panel_and_the_flag_goes_once_corrected(qtbot, make_window, page_png):
    # GIVEN a new region, flagged as doubtful
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    panel = window.panel
    assert "⚑" in panel.list.item(0).text()
    # WHEN it is corrected
    window.navigator.edit_current()
    qtbot.keyClicks(panel.editor, "x")
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return)
    # THEN the flag goes
    assert window.documents.session.get(rid).status == RegionStatus.CORRECTED
    assert "⚑" not in panel.list.item(0).text()
    # WHEN a new region is drawn then undone
    other = read_region(qtbot, window, LINE_3)
    assert window.navigator.current_id == other
    window.undo.undo()
    # THEN the panel no longer shows it
    assert window.documents.session.get(other) is None
    assert panel.list.count() == 1 and window.navigator.current_id is None
    assert panel.title.text() == "No region selected" and panel.editor.toPlainText() == ""
    assert not panel.status_label.isVisible()


def test_no_empty_badge_after_opening_another_document(qtbot, make_window, page_png, note_pdf):
    window = open_page(qtbot, make_window, page_png)
    assert not window.panel.status_label.isVisible()
    read_region(qtbot, window, LINE_2)
    assert window.panel.status_label.isVisible()
    assert window.open_path(note_pdf)
    wait_page(qtbot, window)
    assert window.panel.title.text() == "No region selected" and not window.panel.status_label.isVisible()


def test_exports_and_lists_say_what_they_do(qtbot, make_window, note_pdf, tmp_path):
    import json
    import stat

    from desktop.qt.file_menus import ExportMenu

    # GIVEN a region on page 1 and a corrected one on page 3 of a three-page PDF
    window = open_page(qtbot, make_window, note_pdf)
    window.set_tool("rect")
    read_region(qtbot, window, [(190, 230), (900, 300)])
    window.documents.show_page(2)
    wait_page(qtbot, window, 2)
    rid = read_region(qtbot, window, [(190, 230), (900, 300)])
    window.navigator.edit_current()
    window.panel.editor.selectAll()
    qtbot.keyClicks(window.panel.editor, "Temp 37.2 resp 16")
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return)
    window.navigator.select(rid)
    # THEN numbers and counts run across the document
    assert window.panel.list.item(0).text().split()[0] == "2"
    assert window.panel.title.text().startswith("Region 2 of 2")
    assert window.status.counts.text() == "2 regions in the document · 1 reviewed"
    # the PAGE XML entry says it writes a file per page, and the status bar names the files
    menu: ExportMenu = window.export_menu
    subs = [sub.menu() for sub in menu.actions()]
    entries = [a.text() for sub in subs if isinstance(sub, QMenu) for a in sub.actions()]
    assert any("PAGE XML" in e and "one file per page" in e for e in entries)
    out = tmp_path / "out"
    out.mkdir()
    assert menu.export_to("page", out / "note.xml")
    message = window.statusBar().currentMessage()
    assert "3 files" in message and "note-p0001.xml" in message
    # JSON words follow the corrected text
    assert menu.export_to("json", out / "note.json")
    body = json.loads((out / "note.json").read_text(encoding="utf-8"))
    words = [w["text"] for w in body["pages"][2]["regions"][0]["words"]]
    assert words == ["Temp", "37.2", "resp", "16"]
    # one permission rule for every export, the PDF included
    assert menu.export_to("pdf", out / "note.pdf") and menu.export_to("txt", out / "note.txt")
    modes = {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes == {0o600}
    # Open Recent lists the file once, however its path was spelt
    spelt = note_pdf.parent / ".." / note_pdf.parent.name / note_pdf.name
    window.settings.set_raw("recent/files", [str(note_pdf), str(spelt)])
    window.recent_menu.aboutToShow.emit()
    assert [a.text() for a in window.recent_menu.actions()] == ["note.pdf"]


def test_a_page_rectangle_over_lines_keeps_their_order_and_the_pdf_says_each_word_once(
    qtbot, make_window, page_png, tmp_path
):
    import pymupdf

    # GIVEN three lines drawn one by one (each a little less indented), then a rectangle over the page
    window = open_page(qtbot, make_window, page_png)
    window.set_tool("rect")
    boxes = [((78, 92), (700, 150)), ((70, 182), (700, 240)), ((62, 272), (800, 330))]
    lines = [read_region(qtbot, window, [a, b]) for a, b in boxes]
    page = read_region(qtbot, window, [(20, 20), (1180, 880)])
    session = window.documents.session
    # THEN the lines keep their reading order, after the rectangle that starts above them
    assert [r.id for r in session.regions(0)] == [page, *lines]
    # and the searchable PDF holds each line's words once, from the line's own region
    out = tmp_path / "layer.pdf"
    assert window.export_menu.export_to("pdf", out)
    with pymupdf.open(str(out)) as pdf:
        pdf_page = pdf[0]
        scale = pdf_page.rect.width / 1200
        words = pdf_page.get_text("words")
    for lid in lines:
        x0, y0, x1, y1 = (v * scale for v in session.get(lid).bbox)
        inside = [w for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1]
        assert len(inside) == len(session.get(lid).text.split())


SAMPLE_PDF = Path(__file__).resolve().parents[3] / "resources" / "samples" / "clinical-note.pdf"
PRINTED_LINE = [(183, 637), (636, 695)]  # "Metformin 500 mg PO BID" (page pixels at 200 dpi)
HANDWRITTEN_LINE = [(192, 1105), (614, 1197)]  # "RTC 12 wks - JE", written by hand


def test_a_region_the_model_cannot_read_is_marked_unreadable_not_shown_as_text(
    qtbot, make_window, bundled_model, tmp_path
):
    from desktop.qt.correction_panel import TYPED_SUMMARY, UNREADABLE_LABEL

    # GIVEN the sample note read by the bundled model, with the unreadable mark at its default
    window = make_window("--unreadable-below", "0.9", model=bundled_model)
    assert window.open_path(SAMPLE_PDF)
    wait_page(qtbot, window)
    window.set_tool("rect")
    window.view.centerOn(400, 900)
    printed = read_region(qtbot, window, PRINTED_LINE)
    hand = read_region(qtbot, window, HANDWRITTEN_LINE)
    session, panel = window.documents.session, window.panel
    junk = session.get(hand).model_text
    assert junk.strip() and session.get(printed).text.startswith("Metformin")
    # THEN the panel and the list say it is unreadable, and its junk is not presented as the reading
    assert panel.status_label.text() == UNREADABLE_LABEL and UNREADABLE_LABEL in panel.confidence_label.text()
    assert "a reading needs 90% on average" in panel.confidence_label.text()  # why a fair-looking guess is not text
    assert panel.editor.toPlainText() == "" and "type" in panel.editor.placeholderText()
    rows = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert UNREADABLE_LABEL in rows[1] and junk not in rows[1] and "Metformin" in rows[0]
    assert window.view.region_item(hand).is_flagged and not window.view.region_item(printed).is_flagged
    # WHEN focus moves on, and Ctrl+Enter is pressed on the empty editor
    window.navigator.select(printed)
    window.navigator.select(hand)
    window.navigator.verify_and_next()
    # THEN nothing was saved or verified
    assert session.get(hand).status == RegionStatus.READ and session.get(hand).text == junk
    # AND F8 visits it from the printed line
    window.navigator.select(printed)
    window.navigator.next_doubtful()
    assert window.navigator.current_id == hand and panel.editor.hasFocus()
    # AND exports do not carry the junk: the region goes out empty
    out = tmp_path / "out"
    out.mkdir()
    assert window.export_menu.export_to("txt", out / "note.txt")
    txt = (out / "note.txt").read_text(encoding="utf-8")
    assert "Metformin" in txt and junk.strip() not in txt
    # WHEN the reviewer asks for the model's guess, it is there to correct
    panel.guess_button.click()
    assert panel.editor.toPlainText() == junk
    # WHEN the reviewer types the text instead (sharing, by chance, a run of letters with the guess)
    panel.editor.selectAll()
    typed = f"{junk[:4].strip()} RTC 12 wks - JE"
    qtbot.keyClicks(panel.editor, typed)
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return)
    # THEN it is a correction, no longer unreadable, and exported
    assert session.get(hand).status == RegionStatus.CORRECTED
    assert UNREADABLE_LABEL not in panel.list.item(1).text()
    assert window.export_menu.export_to("txt", out / "typed.txt")
    assert typed in (out / "typed.txt").read_text(encoding="utf-8")
    # AND shown again (as after a restart) the typed text carries no mark from the guess
    window.navigator.select(printed)
    window.navigator.select(hand)
    assert panel.editor.toPlainText() == typed and panel.editor.highlighter.marked_positions() == []
    assert panel.confidence_label.text() == TYPED_SUMMARY


def test_the_crop_preview_shows_each_word_read_with_its_text_and_no_other_line(qtbot, make_window, page_png):
    from PySide6.QtGui import QImage

    # GIVEN a region drawn over two lines and read
    window = open_page(qtbot, make_window, page_png)
    window.set_tool("rect")
    rid = read_region(qtbot, window, [(60, 88), (800, 250)])
    region = window.documents.session.get(rid)
    words = window.panel.crop_words
    # THEN the preview holds each word the model read, with its text, in reading order, line by line
    assert [w.text for w in words] == [text for text, _box in region.words]
    assert sorted({w.line for w in words}) == [0, 1]
    assert [w.line for w in words] == sorted(w.line for w in words)
    # AND each word shows exactly the pixels of its own box (a 2-pixel margin), nothing of the other line
    image = window.documents.page_image(0)
    rgb = QImage.Format.Format_RGB32
    for w, (_text, box) in zip(words, region.words, strict=True):
        assert (w.rect.left(), w.rect.top(), w.rect.right() + 1, w.rect.bottom() + 1) == (
            box[0] - 2,
            box[1] - 2,
            box[2] + 2,
            box[3] + 2,
        )
        assert w.rect.height() < 90  # the lines are 90 pixels apart
        assert w.pixmap.toImage().convertToFormat(rgb) == image.copy(w.rect).convertToFormat(rgb)
    # AND the preview is drawn from them, taller than one line's words
    shown = window.panel.crop.pixmap()
    assert not shown.isNull() and shown.height() > max(w.pixmap.height() for w in words)


def test_a_region_read_turned_offers_to_turn_the_page_in_the_window(qtbot, make_window, page_png):
    # GIVEN a region read upright: nothing offered
    window = open_page(qtbot, make_window, page_png)
    rid = read_region(qtbot, window, LINE_2)
    banner = window.turn_banner
    assert not banner.isVisible()
    # WHEN the recogniser says it had to turn a region 90 degrees to read it
    window.recognition.region_read.emit(rid, 90)
    # THEN the window (not only the F1 sheet) offers the turn
    assert banner.isVisible() and "90°" in banner.label.text()
    # WHEN the reviewer takes it
    banner.button.click()
    # THEN the page is turned and the offer goes
    assert window.view.rotation == 90 and not banner.isVisible()
    # AND a turn offered again is dismissed by changing page or closing it
    window.recognition.region_read.emit(rid, 270)
    assert banner.isVisible()
    assert window.open_path(page_png)
    wait_page(qtbot, window)
    assert not banner.isVisible()


def test_an_export_of_the_shipped_sample_is_offered_outside_the_app(tmp_path) -> None:
    from pathlib import Path

    from desktop.qt.file_menus import export_folder
    from inference.models import RESOURCES

    # the sample note belongs to the app: its exports go to the home folder, never into resources/
    assert export_folder(RESOURCES / "samples" / "clinical-note.pdf") == Path.home()
    # a document in a folder the reviewer can write: beside it
    assert export_folder(tmp_path / "note.pdf") == tmp_path
