"""The correction editor: marks doubtful characters and keeps the marks aligned while the user types."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QToolTip, QWidget

from desktop.core.review import align_confidences

__all__ = ["ConfidenceHighlighter", "CorrectionEditor"]

MARK_BACKGROUND = QColor(255, 167, 38, 90)  # orange, translucent
MARK_UNDERLINE = QColor("#e65100")


class ConfidenceHighlighter(QSyntaxHighlighter):
    """Orange background, bold and a wavy underline under each character below the threshold.

    The bold wavy underline is the cue that does not rely on colour (a colour-blind reviewer sees it).

    Confidences follow the edits exactly: characters the user left alone keep the model's
    confidence, characters the user typed count as certain.
    """

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(None)  # type: ignore[call-overload]  # the document is set below, see there
        self._model_text = ""
        self._confidences: tuple[float, ...] = ()
        self._aligned: list[float] = []
        self.threshold = 0.6
        self.mark_format = QTextCharFormat()
        self.mark_format.setBackground(MARK_BACKGROUND)
        self.mark_format.setFontWeight(QFont.Weight.Bold)
        self.mark_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.mark_format.setUnderlineColor(MARK_UNDERLINE)
        #: Marks over whole words (the unknown words, desktop.qt.spelling): block text -> (start, end, format).
        self.word_marks: Callable[[str], Iterable[tuple[int, int, QTextCharFormat]]] | None = None
        # Connected before setDocument(), so the marks are shifted before Qt re-highlights.
        document.contentsChange.connect(self._on_contents_change)
        self.setDocument(document)

    def set_reading(self, model_text: str, confidences: Sequence[float], threshold: float) -> None:
        """The model's reading of the region whose text the document now holds."""
        self._model_text = model_text
        self._confidences = tuple(confidences)
        self.threshold = threshold
        self._aligned = align_confidences(model_text, self._confidences, self.document().toPlainText())
        self.rehighlight()

    def aligned(self) -> list[float]:
        return list(self._aligned)

    def marked_positions(self) -> list[int]:
        """Indices of the characters currently marked (for tests and the status line)."""
        return [i for i, c in enumerate(self._aligned) if c < self.threshold]

    def _on_contents_change(self, pos: int, removed: int, added: int) -> None:
        text = self.document().toPlainText()
        if text == self._model_text:  # back to the model's reading (e.g. undo in the editor)
            self._aligned = list(self._confidences[: len(text)]) + [1.0] * max(0, len(text) - len(self._confidences))
            return
        self._aligned[pos : pos + removed] = [1.0] * added
        if len(self._aligned) != len(text):  # a change Qt reported in an unexpected way: realign
            self._aligned = align_confidences(self._model_text, self._confidences, text)

    def highlightBlock(self, text: str) -> None:
        aligned = self._aligned
        start = self.currentBlock().position()
        low = [start + i < len(aligned) and aligned[start + i] < self.threshold for i in range(len(text))]
        run = None
        for offset, is_low in enumerate([*low, False]):
            if is_low and run is None:
                run = offset
            elif not is_low and run is not None:
                self.setFormat(run, offset - run, self.mark_format)
                run = None
        for begin, end, fmt in self.word_marks(text) if self.word_marks is not None else ():
            for k in range(begin, end):  # over a doubtful character's mark
                merged = self.format(k)
                merged.merge(fmt)
                self.setFormat(k, 1, merged)
        # A block state that changes with its marks makes Qt go on to re-highlight later blocks.
        self.setCurrentBlockState(hash(tuple(i for i, v in enumerate(low) if v)) & 0x3FFFFFFF)


class CorrectionEditor(QPlainTextEdit):
    """Plain text with review keys: Enter accepts, Shift+Enter is a newline, Ctrl+Enter verifies,
    Esc cancels the edit, Tab/Shift+Tab move between regions."""

    accepted = Signal()
    verified = Signal()
    cancelled = Signal()
    next_requested = Signal()
    previous_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(False)
        self.setPlaceholderText("Lasso a region on the page (L), or drag a rectangle (R).")
        self.highlighter = ConfidenceHighlighter(self.document())
        #: Adds entries to the right-click menu for the text position clicked (desktop.qt.spelling).
        self.extra_menu: Callable[[QMenu, int], None] | None = None

    def confidence_tip(self, position: int) -> str:
        """What the tooltip says of the character at ``position``: how sure the model was of it."""
        aligned = self.highlighter.aligned()
        text = self.toPlainText()
        if not 0 <= position < min(len(aligned), len(text)) or text[position].isspace():
            return ""
        sure = aligned[position]
        doubt = " (doubtful)" if sure < self.highlighter.threshold else ""
        return f"\u201c{text[position]}\u201d: the model was {math.floor(sure * 100)}% sure{doubt}"

    def replace_span(self, start: int, end: int, text: str) -> None:
        """Put ``text`` in place of characters ``start:end`` as the reviewer's edit (Enter commits it)."""
        cursor = self.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        self.setTextCursor(cursor)
        self.setFocus()

    def context_menu(self, pos: QPoint) -> QMenu:
        """The right-click menu at ``pos`` (viewport pixels): ``extra_menu``'s entries above the usual ones."""
        menu = self.createStandardContextMenu(pos)
        if self.extra_menu is not None:
            self.extra_menu(menu, self.cursorForPosition(pos).position())
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu(event.pos())
        menu.exec(event.globalPos())
        menu.deleteLater()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cursor = self.cursorForPosition(event.pos())
            rect = self.cursorRect(cursor)
            # the character under the mouse: the one after the cursor, or before it on its right half
            pos = cursor.position() - (1 if event.pos().x() < rect.x() else 0)
            tip = self.confidence_tip(pos)
            QToolTip.showText(event.globalPos(), tip, self) if tip else QToolTip.hideText()
            return True
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            doc = self.document()
            # Ctrl+Z / Ctrl+Shift+Z undo typing in the editor while there is some; otherwise they
            # reach the window and undo the session's last step (e.g. the text just accepted).
            if event.matches(QKeySequence.StandardKey.Undo) and not doc.isUndoAvailable():
                event.ignore()
                return False
            if (
                event.matches(QKeySequence.StandardKey.Redo)
                or (
                    event.key() == Qt.Key.Key_Z
                    and event.modifiers() == (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
                )
            ) and not doc.isRedoAvailable():
                event.ignore()
                return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            elif mods & Qt.KeyboardModifier.ControlModifier:
                self.verified.emit()
            else:
                self.accepted.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            self.cancelled.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Backtab or (key == Qt.Key.Key_Tab and mods & Qt.KeyboardModifier.ShiftModifier):
            self.previous_requested.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Tab:
            self.next_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
