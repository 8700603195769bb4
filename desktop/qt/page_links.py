"""The text and the page linked: the word under the editor's caret lights its box on the page, a word
clicked on the page is chosen in the editor, each word's confidence can be shown on the page, and
Tab zooms the page to the region it moves to.

Which characters of the text a word box holds is decided by :mod:`desktop.core.word_links`; this
part only shows it. Its two toggles are View menu commands and are remembered between runs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QTextCursor

from desktop.core.regions import Region
from desktop.core.word_links import word_at, word_spans
from desktop.qt.editor import CorrectionEditor
from desktop.qt.page_view import PageView
from desktop.qt.settings_store import SettingsStore

__all__ = ["PageLinks"]

CONFIDENCE_KEY, FOLLOW_KEY = "view/word_confidence", "view/zoom_to_region"


def _flag(value: object, default: bool) -> bool:
    if value is None:
        return default
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")


class PageLinks(QObject):
    """Keeps the page's word boxes in step with the editor's caret, and the page with Tab."""

    def __init__(
        self,
        view: PageView,
        editor: CorrectionEditor,
        settings: SettingsStore,
        *,
        current: Callable[[], Region | None],
        threshold: Callable[[], float],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._view, self._editor, self._settings = view, editor, settings
        self._current, self._threshold = current, threshold
        self.follows_region = _flag(settings.raw(FOLLOW_KEY), True)
        view.show_word_confidence(_flag(settings.raw(CONFIDENCE_KEY), False), threshold())
        editor.cursorPositionChanged.connect(self.light)
        editor.selectionChanged.connect(self.light)
        editor.installEventFilter(self)
        view.word_clicked.connect(self.choose_word)

    # -- words -------------------------------------------------------------------------
    def light(self) -> None:
        """Light the box of the word the editor's caret (or selection) is on, while the reviewer is in
        the text or has a word chosen; otherwise no word is lit."""
        region, ed = self._current(), self._editor
        cursor = ed.textCursor()
        if region is None or not (ed.hasFocus() or cursor.hasSelection()):
            self._view.light_word(None, None)
            return
        where = cursor.selectionStart() if cursor.hasSelection() else cursor.position()
        self._view.light_word(region.id, word_at(word_spans(region, ed.toPlainText()), where))

    def choose_word(self, region_id: str, index: int) -> None:
        """A word clicked on the page: choose it in the editor (Enter, F2 or typing after a double
        click then edit that word). The focus stays where it was, so tool keys still choose tools."""
        region = self._current()
        if region is None or region.id != region_id:
            return
        spans = word_spans(region, self._editor.toPlainText())
        span = spans[index] if 0 <= index < len(spans) else None
        if span is None:
            return
        cursor = self._editor.textCursor()
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        self._editor.setTextCursor(cursor)
        self._editor.ensureCursorVisible()
        self.light()

    @property
    def is_showing_confidence(self) -> bool:
        return self._view.is_showing_word_confidence

    def toggle_confidence(self) -> None:
        """Ctrl+Shift+C: each word's confidence on the page, as a figure by its box (or not)."""
        shown = not self._view.is_showing_word_confidence
        self._view.show_word_confidence(shown, self._threshold())
        self._settings.set_raw(CONFIDENCE_KEY, shown)

    def refresh(self) -> None:
        """After a change of region or of settings: the threshold may have moved, the lit word too."""
        self._view.show_word_confidence(self._view.is_showing_word_confidence, self._threshold())
        self.light()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._editor and event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.light()
        return False

    # -- the page follows Tab ---------------------------------------------------------
    def toggle_follow(self) -> None:
        """View > Zoom to region on Tab: off, Tab only scrolls the region into view at the reviewer's zoom."""
        self.follows_region = not self.follows_region
        self._settings.set_raw(FOLLOW_KEY, self.follows_region)

    def follow(self, region_id: str) -> None:
        """Tab, Shift+Tab or F8 moved to ``region_id``: zoom to it when the reviewer wants that."""
        if self.follows_region:
            self._view.zoom_to_region(region_id)
