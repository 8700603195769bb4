"""Words the lexicon does not know: marked in the editor, a right-click menu of suggestions, and
Ctrl+F8, the next word the triage flags across regions and pages (``doubtful``, decision 025;
without it, a word under the confidence threshold or unknown to the lexicon).

The word lists load on a worker thread once (:func:`desktop.core.lexicon.load_lexicon`); until they
are in, or when the system has none, no word is marked and the triage counts no word unknown.
A suggestion replaces the word in the editor as an edit: the reviewer commits it as usual (Enter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QMenu, QToolTip

from desktop.core.lexicon import Lexicon, Token, load_lexicon, tokens
from desktop.core.word_review import DoubtfulWords, WordHit, next_doubtful_word
from desktop.qt.documents import DocumentController
from desktop.qt.editor import CorrectionEditor
from desktop.qt.page_view import PageView
from desktop.qt.workers import WorkerSignals, run_job

__all__ = ["UNKNOWN_UNDERLINE", "WordChecker"]

UNKNOWN_UNDERLINE = QColor("#c62828")  # red; the wavy line itself is the cue that is not colour


def _load() -> Lexicon:
    return load_lexicon().prepared()


class WordChecker(QObject):
    """Owns the lexicon for the editor. ``select_region(id)`` selects a region on the page shown;
    ``current_id()``, ``threshold()`` and ``floor()`` read the navigator's state."""

    message = Signal(str, int)  # status-bar text, milliseconds
    lexicon_loaded = Signal()

    def __init__(
        self,
        documents: DocumentController,
        view: PageView,
        editor: CorrectionEditor,
        *,
        current_id: Callable[[], str | None],
        select_region: Callable[[str], None],
        threshold: Callable[[], float],
        floor: Callable[[], float],
        report: Callable[[str, Exception], None],
        doubtful: DoubtfulWords | None = None,
        explain: Callable[[str, int], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._doubtful, self._explain = doubtful, explain  # which words Ctrl+F8 visits, and why
        self._documents, self._view, self._editor = documents, view, editor
        self._current_id, self._select_region = current_id, select_region
        self._threshold, self._floor, self._report = threshold, floor, report
        self.lexicon: Lexicon | None = None
        self.ignored: set[str] = set()  # "Ignore": for this run of the app
        self._loading: WorkerSignals | None = None  # kept alive until the lists are in
        self._pending: WordHit | None = None  # a Ctrl+F8 target waiting for its page to render
        self.word_format = QTextCharFormat()
        self.word_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.word_format.setUnderlineColor(UNKNOWN_UNDERLINE)
        editor.highlighter.word_marks = self._marks
        editor.extra_menu = self.menu_actions
        documents.page_shown.connect(self._on_page_shown)
        editor.viewport().installEventFilter(self)  # the text area gets the tooltip events
        # Loaded once the first page is up (or soon, with no document): read at start-up, the lists
        # held the interpreter's lock while the first page was prepared (about 0.65 s later to show).
        documents.page_shown.connect(self._start_loading)
        QTimer.singleShot(1500, self._start_loading)

    def _start_loading(self, *_args: object) -> None:
        if self.lexicon is not None or self._loading is not None:
            return
        # A pool of its own would idle a thread; the global one never holds up recognition's.
        self._loading = run_job(QThreadPool.globalInstance(), "lexicon", _load, self._on_loaded, self._on_failed)

    def _on_failed(self, _job: object, exc: Exception) -> None:
        self._report("The word lists could not be read", exc)

    def _on_loaded(self, _job: object, lexicon: Lexicon, _ms: float) -> None:
        self._loading = None
        self.lexicon = lexicon
        self._editor.highlighter.rehighlight()
        if lexicon.hint:  # no word lists (or one missing): say so and what to install
            self.message.emit(lexicon.hint, 10000)
        self.lexicon_loaded.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The editor's tooltip over an unknown word says so, after the character's confidence."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            ed = self._editor
            position = ed.cursorForPosition(event.pos()).position()
            token = self.word_at(position)
            if token is not None and not self.is_known(token.word):
                tip = ed.confidence_tip(min(position, token.end - 1))
                note = f"\u201c{token.word}\u201d is not in the dictionary: right-click it for suggestions"
                QToolTip.showText(event.globalPos(), f"{tip}\n{note}" if tip else note, ed)
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ marks
    def is_known(self, word: str) -> bool:
        """Whether ``word`` is known (or ignored); every word is, until the lists are loaded."""
        return self.lexicon is None or word in self.ignored or self.lexicon.is_known(word)

    def unknown_words(self, text: str) -> list[Token]:
        """The words of ``text`` marked as unknown."""
        return [t for t in tokens(text) if not self.is_known(t.word)]

    def _marks(self, block_text: str) -> Iterator[tuple[int, int, QTextCharFormat]]:
        return ((t.start, t.end, self.word_format) for t in self.unknown_words(block_text))

    # ------------------------------------------------------------------ the right-click menu
    def word_at(self, position: int) -> Token | None:
        """The word of the editor's text at ``position`` (the caret before, inside or after it)."""
        return next((t for t in tokens(self._editor.toPlainText()) if t.start <= position <= t.end), None)

    def menu_actions(self, menu: QMenu, position: int) -> None:
        """Put the suggestions for the unknown word at ``position``, "Add to dictionary" and
        "Ignore" above the entries of ``menu`` (the editor's own); nothing for a known word."""
        token = self.word_at(position)
        lexicon = self.lexicon
        if token is None or lexicon is None:
            return
        entries: list[QAction] = []
        if not lexicon.is_available:
            entries.append(self._entry(menu, "No word lists: unknown words are not marked", "noWordLists"))
            entries[0].setToolTip(lexicon.hint)
            entries[0].setEnabled(False)
        elif not self.is_known(token.word):
            for word in lexicon.suggest(token.word):
                entries.append(self._entry(menu, word, "suggestion", partial(self.replace, token, word)))
            if not entries:
                entries.append(self._entry(menu, "(no suggestions)", "noSuggestions"))
                entries[0].setEnabled(False)
            add = partial(self.add_to_dictionary, token.word)
            entries.append(self._entry(menu, "Add to dictionary", "addToDictionary", add))
            entries.append(self._entry(menu, "Ignore", "ignoreWord", partial(self.ignore, token.word)))
        if not entries:
            return
        first = menu.actions()[0] if menu.actions() else None
        menu.insertActions(first, entries)  # type: ignore[arg-type]  # None appends
        if first is not None:
            menu.insertSeparator(first)

    @staticmethod
    def _entry(menu: QMenu, text: str, name: str, slot: Callable[[], None] | None = None) -> QAction:
        act = QAction(text, menu)
        act.setObjectName(name)
        if slot is not None:
            act.triggered.connect(lambda _checked=False: slot())
        return act

    def replace(self, token: Token, word: str) -> None:
        """Put ``word`` in place of ``token`` in the editor (an edit; Enter commits it)."""
        if self._editor.toPlainText()[token.start : token.end] != token.word:
            return  # the text changed since the menu opened
        self._editor.replace_span(token.start, token.end, word)

    def add_to_dictionary(self, word: str) -> None:
        """Keep ``word`` in the reviewer's dictionary; its mark goes everywhere."""
        if self.lexicon is None:
            return
        try:
            self.lexicon.add(word)
        except Exception as exc:  # noqa: BLE001 - a NoteLassoError with words for staff, shown in one place
            self._report("The word was not added", exc)
            return
        self._editor.highlighter.rehighlight()
        self.message.emit("Added to your dictionary", 3000)

    def ignore(self, word: str) -> None:
        """Stop marking ``word`` until the app closes."""
        self.ignored.add(word)
        self._editor.highlighter.rehighlight()

    # ------------------------------------------------------------------ Ctrl+F8
    def next_doubtful_word(self) -> None:
        """Ctrl+F8: select the next word the triage flags (see the module's docstring)."""
        session = self._documents.session
        if session is None:
            return
        current, ed = self._current_id(), self._editor
        caret = ed.textCursor().selectionEnd() if current is not None else 0
        hit = next_doubtful_word(
            session.regions(),
            current,
            caret,
            self._documents.page_index,
            self._threshold(),
            self.is_known,
            live_text=ed.toPlainText() if current is not None and ed.isEnabled() else None,
            floor=self._floor(),
            words=self._doubtful,
        )
        if hit is None:
            hint = f" ({self.lexicon.hint})" if self.lexicon is not None and self.lexicon.hint else ""
            self.message.emit(f"No flagged words left in this document{hint}", 6000)
            return
        region = session.get(hit.region_id)
        if region is None:
            return
        if region.page != self._documents.page_index:
            self._pending = hit
            self._documents.show_page(region.page)
            if self._pending is None or not self._view.has_page:
                return  # done by the page's signal, or once the page is rendered
            self._pending = None
        self._show(hit)

    def _on_page_shown(self, index: int) -> None:
        hit, self._pending = self._pending, None
        session = self._documents.session
        region = session.get(hit.region_id) if hit is not None and session is not None else None
        if hit is not None and region is not None and region.page == index:
            self._show(hit)

    def _show(self, hit: WordHit) -> None:
        """Select the region and, in the editor, the word."""
        if self._current_id() != hit.region_id:
            self._select_region(hit.region_id)
        ed = self._editor
        if not ed.isEnabled() or hit.end > len(ed.toPlainText()):
            return
        ed.setFocus()
        cursor = ed.textCursor()
        cursor.setPosition(hit.start)
        cursor.setPosition(hit.end, QTextCursor.MoveMode.KeepAnchor)
        ed.setTextCursor(cursor)
        why = self._explain(ed.toPlainText(), hit.start) if self._explain is not None else ""
        if why:
            self.message.emit(f"\u2691 {why}", 10000)  # why the word is flagged, in the status bar
