"""Words linked both ways, zoom to the region on Tab, and a lasso edited point by point (issue 15).

Each test drives the real window offscreen on the shipped sample note and the shipped model.
"""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from desktop.qt.action_table import SAMPLE_NOTE
from tests.desktop.qt.test_main_window import open_page, read_region

pytestmark = pytest.mark.gui

#: Lines of the sample note at 200 dpi (resources/samples/clinical-note.truth.json), with a margin.
VITALS = [(180, 450), (295, 450), (295, 494), (180, 494)]  # "Vitals"
METFORMIN = [(180, 638), (642, 638), (642, 690), (180, 690)]  # "Metformin 500 mg PO BID"
PLAN = [(182, 826), (1142, 826), (1142, 879), (182, 879)]  # "Type 2 diabetes, stable. Continue current regimen."


def _sample(qtbot, make_window, bundled_model):
    return open_page(qtbot, make_window, SAMPLE_NOTE, model=bundled_model)


def _focused(window):
    return QApplication.focusWidget() or window


def _click(qtbot, window, x: float, y: float, *, double: bool = False) -> None:
    vp, pos = window.view.viewport(), window.view.mapFromScene(QPointF(x, y))
    (qtbot.mouseDClick if double else qtbot.mouseClick)(vp, Qt.MouseButton.LeftButton, pos=pos)


def _centre(box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def test_a_word_lights_from_the_caret_a_click_on_the_page_chooses_it_and_its_confidence_shows(
    qtbot, make_window, bundled_model
):
    # GIVEN two lines of the sample read by the shipped model, the second one current
    window = _sample(qtbot, make_window, bundled_model)
    first = read_region(qtbot, window, METFORMIN)
    second = read_region(qtbot, window, PLAN)
    session, view, editor = window.documents.session, window.view, window.panel.editor
    metformin = session.get(first)
    assert [w for w, _ in metformin.words][:2] == ["Metformin", "500"]
    # WHEN the reviewer edits the current line (F2) and moves the caret to its second word
    qtbot.keyClick(_focused(window), Qt.Key.Key_F2)
    qtbot.keyClick(editor, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    # THEN that word's box, and only it, is lit on the page
    item = view.region_item(second)
    assert item.lit_word == 1 and item.words[1].is_lit and item.words[1].isVisible()
    assert not any(box.is_lit for i, box in enumerate(item.words) if i != 1)
    assert not any(box.is_lit for box in view.region_item(first).words)
    # WHEN they click the word "500" of the other line on the page (the lasso tool, a click: no drawing)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    _click(qtbot, window, *_centre(metformin.words[1][1]))
    # THEN that line is selected, "500" is chosen in the editor and lit on the page, and nothing was drawn
    assert window.navigator.current_id == first and len(session.regions()) == 2
    assert editor.textCursor().selectedText() == "500"
    assert view.region_item(first).lit_word == 1 and view.region_item(second).lit_word is None
    assert not editor.hasFocus()  # a click chooses; tool keys still choose tools
    # WHEN they double-click "PO" and type
    _click(qtbot, window, *_centre(metformin.words[3][1]), double=True)
    qtbot.keyClicks(_focused(window), "P0")
    # THEN the word typed over is that one
    assert editor.toPlainText() == "Metformin 500 mg P0 BID"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    # WHEN they turn on word confidence (View menu, Ctrl+Shift+C)
    action = window.commands["word_confidence"]
    assert action.isCheckable() and not action.isChecked() and action.shortcut().toString() == "Ctrl+Shift+C"
    qtbot.keyClick(
        _focused(window), Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    # THEN every word box of the page shows a figure by it: the model's confidence, flagged when doubtful
    assert action.isChecked()
    threshold = window.navigator.threshold
    for rid in (first, second):
        region = session.get(rid)
        boxes = view.region_item(rid).words
        assert len(boxes) == len(region.words) > 1
        for box in boxes:
            assert box.isVisible() and box.label.isVisible()
            assert box.label.text.endswith(f"{math.floor(box.word.confidence * 100)}%")
            assert box.label.text.startswith("\u2691") == (box.word.confidence < threshold)
    # AND the choice is remembered: a new window starts with it on
    again = make_window(model=None)
    assert again.commands["word_confidence"].isChecked()


def test_tab_zooms_to_the_region_it_moves_to_unless_the_reviewer_turned_that_off(qtbot, make_window, bundled_model):
    # GIVEN three lines read on the sample, fitted to the page's width
    window = _sample(qtbot, make_window, bundled_model)
    view = window.view
    ids = [read_region(qtbot, window, pts) for pts in (VITALS, METFORMIN, PLAN)]
    view.fit_width()
    fitted = view.zoom

    def on_screen(rid):
        return view.mapFromScene(view.region_item(rid).sceneBoundingRect()).boundingRect()

    # WHEN the reviewer moves back a region (Shift+Tab) to "Metformin 500 mg PO BID"
    qtbot.keyClick(_focused(window), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert window.navigator.current_id == ids[1]
    # THEN the page is zoomed so the line fills most of the view's width, centred in it
    shown, vp = on_screen(ids[1]), view.viewport().rect()
    assert view.zoom > fitted
    assert 0.7 * vp.width() <= shown.width() <= vp.width()
    assert abs(shown.center().x() - vp.center().x()) < 0.05 * vp.width()
    assert abs(shown.center().y() - vp.center().y()) < 0.05 * vp.height()
    # WHEN they go back to the one short word "Vitals" (Shift+Tab, from the editor)
    qtbot.keyClick(_focused(window), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    # THEN the zoom stops at a sane maximum, the word centred
    assert window.navigator.current_id == ids[0]
    assert view.zoom == pytest.approx(2.5)
    assert view.viewport().rect().contains(on_screen(ids[0]).center())
    # WHEN they turn "Zoom to region on Tab" off, fit the width again (Ctrl+1) and Tab on
    follow = window.commands["zoom_follow"]
    assert follow.isChecked()
    follow.trigger()
    qtbot.keyClick(_focused(window), Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(_focused(window), Qt.Key.Key_Tab)
    # THEN the width stays fitted, and the line is still brought into view; the choice is remembered
    assert window.navigator.current_id == ids[1]
    assert view.zoom == pytest.approx(fitted)
    assert view.viewport().rect().contains(on_screen(ids[1]).center())
    assert not make_window(model=None).commands["zoom_follow"].isChecked()


def test_a_lasso_is_edited_point_by_point_each_edit_one_undo_step_read_again(qtbot, make_window, bundled_model):
    # GIVEN a region round one line, selected: a handle on each of its four points
    window = _sample(qtbot, make_window, bundled_model)
    session, view, stack = window.documents.session, window.view, window.undo.stack
    rid = read_region(qtbot, window, METFORMIN)
    item = view.region_item(rid)
    assert len(item.handles) == 4 and all(h.isVisible() for h in item.handles)
    drawn = session.get(rid).polygon
    assert all(p == pytest.approx(q, abs=4) for p, q in zip(drawn, METFORMIN))  # page pixels, whatever the zoom
    vp = view.viewport()

    def read_again():
        return qtbot.waitSignal(window.recognition.region_read, timeout=30000)

    # WHEN the reviewer drags the top-right point up and out
    start, end = view.mapFromScene(QPointF(*drawn[1])), view.mapFromScene(QPointF(700, 600))
    steps = stack.count()
    with read_again():
        qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(vp, end)
        qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    # THEN only that point moved (no corner stretch of the whole box), in one undo step, and it was read again
    poly = session.get(rid).polygon
    assert len(poly) == 4 and poly[0] == drawn[0] and poly[2:] == drawn[2:]
    assert poly[1] == pytest.approx((700, 600), abs=4)
    assert stack.count() == steps + 1 and stack.undoText() == "Reshape region"
    # WHEN they double-click the middle of the bottom edge
    bottom = ((drawn[2][0] + drawn[3][0]) / 2, (drawn[2][1] + drawn[3][1]) / 2)
    with read_again():
        _click(qtbot, window, *bottom, double=True)
    # THEN a point is added there, between the bottom corners, in one more undo step; no region was drawn
    poly = session.get(rid).polygon
    assert len(poly) == 5 and poly[3] == pytest.approx(bottom, abs=4)
    assert poly[2] == drawn[2] and poly[4] == drawn[3]
    assert stack.count() == steps + 2 and len(session.regions()) == 1
    # WHEN they press Backspace (the point just added is the one in hand)
    with read_again():
        qtbot.keyClick(view, Qt.Key.Key_Backspace)
    # THEN it is deleted, in one undo step
    assert len(session.get(rid).polygon) == 4 and stack.count() == steps + 3
    # WHEN they grab a point and delete it, then try again on a triangle
    _click(qtbot, window, *drawn[3])
    with read_again():
        qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert len(session.get(rid).polygon) == 3
    _click(qtbot, window, *drawn[0])
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    # THEN an outline keeps three points
    assert len(session.get(rid).polygon) == 3 and stack.count() == steps + 4
    # WHEN they undo three times (two deletions, the added point)
    for _ in range(3):
        window.undo.undo()
    # THEN the outline is back as it was after the point was moved
    assert len(session.get(rid).polygon) == 4 and session.get(rid).polygon[1] == pytest.approx((700, 600), abs=4)
    # AND a new lasso started inside the selected region, away from its points, still draws a new region
    second = read_region(qtbot, window, [(300, 680), (900, 684), (900, 740), (300, 740)])
    assert second != rid and len(session.regions()) == 2 and len(session.get(rid).polygon) == 4
