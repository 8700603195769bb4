"""The triage score drives the review (issue 16) on the real window offscreen and the released
model: a clinical line the model reads confidently but a check flags ("Metformin 5.0 mg",
"BP 300/20") gets the ⚑, F8 goes to it, the progress view counts it, the editor shows the
check's reason, and the right-click menu offers the check's suggestion (a drug name) above the
spelling ones. Text changes only on the reviewer's choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from desktop.core import review
from desktop.core.regions import RegionStatus
from desktop.qt.triage_marks import CHECK_UNDERLINE
from tests.desktop.qt.test_main_window import open_page, read_region

pytestmark = pytest.mark.gui

LINES = ["Lisinopril 10 mg daily", "Metformin 5.0 mg twice daily", "BP 300/20 pulse 72", "Lisinoprl 10 mg daily"]


def box(line: int) -> list[tuple[float, float]]:
    """A lasso round line ``line`` of the generated note (page pixels)."""
    y = 100 + line * 90
    return [(60, y - 20), (1000, y - 20), (1000, y + 60), (60, y + 60)]


@pytest.fixture
def note_png(tmp_path: Path) -> Path:
    """A medication list with planted errors a person would miss and the model reads confidently."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 36)
    for i, line in enumerate(LINES):
        draw.text((80, 100 + i * 90), line, fill="black", font=font)
    path = tmp_path / "meds.png"
    img.save(path)
    return path


def check_marks(editor) -> list[str]:
    """The text under the editor's check mark (a dashed underline)."""
    block = editor.document().firstBlock()
    out = []
    for fr in block.layout().formats():
        fmt = fr.format
        if fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.DashUnderline:
            assert fmt.underlineColor() == CHECK_UNDERLINE
            out.append(block.text()[fr.start : fr.start + fr.length])
    return out


def test_f8_the_flag_and_the_progress_view_follow_the_triage_not_confidence_alone(
    qtbot, make_window, note_png, bundled_model
):
    # GIVEN the released model has read a clean line, a dose with a trailing zero and an impossible BP
    window = open_page(qtbot, make_window, note_png, model=bundled_model)
    clean, dose, bp = (read_region(qtbot, window, box(i)) for i in range(3))
    session = window.documents.session
    assert [session.get(r).text for r in (clean, dose, bp)] == LINES[:3]
    # confidence alone does not flag the errors: every character read surer than the 0.6 mark
    assert not any(review.needs_review(session.get(r), 0.6) for r in (clean, dose, bp))
    # THEN the two planted errors carry the ⚑, on the page and in the list; the clean line does not
    assert [window.view.region_item(r).is_flagged for r in (clean, dose, bp)] == [False, True, True]
    rows = [window.panel.list.item(i).text() for i in range(3)]
    assert ["\u2691" in row for row in rows] == [False, True, True]
    # WHEN the progress view is shown
    window.progress_dock.toggle()
    # THEN it counts them as doubtful left
    assert window.progress_dock.total.doubtful == 2
    assert "2 doubtful" in window.progress_dock.summary.text()
    # WHEN F8 from the clean line
    window.navigator.select(clean)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F8)
    # THEN it goes to the dose, then to the BP, then round again past the clean line
    assert window.navigator.current_id == dose
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F8)
    assert window.navigator.current_id == bp
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F8)
    assert window.navigator.current_id == dose
    # WHEN the reviewer verifies the dose as read (Ctrl+Enter): a person's decision ends its flag
    qtbot.keyClick(window.panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert session.get(dose).status == RegionStatus.VERIFIED
    assert window.progress_dock.total.doubtful == 1 and not window.view.region_item(dose).is_flagged


def test_the_check_reason_shows_and_its_drug_suggestion_replaces_the_word_on_choice(
    qtbot, make_window, note_png, bundled_model
):
    # GIVEN the released model has read the dose line
    window = open_page(qtbot, make_window, note_png, model=bundled_model)
    read_region(qtbot, window, box(1))
    editor, marks = window.panel.editor, window.navigator.triage
    # THEN the check's reason is a line under the crop, marked by a sign, and the span is underlined
    assert marks.label.isVisible()
    assert marks.label.text().startswith("\u2691 ") and "'5.0 mg': a trailing zero" in marks.label.text()
    assert check_marks(editor) == ["5.0 mg"]
    # AND hovering the word gives the reason as its tooltip
    cursor = QTextCursor(editor.document())
    cursor.setPosition(editor.toPlainText().index("5.0") + 1)
    at = editor.cursorRect(cursor).center()
    QApplication.sendEvent(editor.viewport(), QHelpEvent(QEvent.Type.ToolTip, at, editor.viewport().mapToGlobal(at)))
    assert "trailing zero" in QToolTip.text() and "ISMP" in QToolTip.text()
    # GIVEN a misspelt drug name the model reads confidently ("Lisinoprl" -> "Lisinopr")
    rid = read_region(qtbot, window, box(3))
    region = window.documents.session.get(rid)
    assert region.text.split()[0].startswith("Lisinopr") and region.text.split()[0] != "Lisinopril"
    assert not review.needs_review(region, 0.6)
    assert "not a drug name" in marks.label.text()
    # WHEN the reviewer right-clicks the name
    cursor.setPosition(2)
    menu = editor.context_menu(editor.cursorRect(cursor).center())
    actions = [a for a in menu.actions() if a.text()]
    # THEN the check's reason and its suggestion come first, above the spelling's entries
    assert actions[0].objectName() == "checkReason" and not actions[0].isEnabled()
    assert actions[1].objectName() == "checkSuggestion" and actions[1].text() == "Lisinopril"
    assert region.text == window.documents.session.get(rid).text  # nothing changed by itself
    # WHEN the suggestion is chosen
    actions[1].trigger()
    # THEN the editor holds it (an edit) and Enter saves it as the reviewer's correction; no flag left
    assert editor.toPlainText() == "Lisinopril 10 mg daily"
    assert not marks.label.isVisible() and check_marks(editor) == []
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    saved = window.documents.session.get(rid)
    assert saved.text == "Lisinopril 10 mg daily" and saved.status == RegionStatus.CORRECTED
    assert not window.view.region_item(rid).is_flagged
