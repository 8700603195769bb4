"""The triage score in the shell: which regions are doubtful (F8, the ⚑ flags, the progress view),
which words Ctrl+F8 visits and, in the editor, the words a clinical check flags, with the
check's reason and suggestions.

A region is doubtful when a word of it reaches the triage threshold (``review/triage_threshold``)
by the triage score (decision 025: confidence, shape, the word lists, a clinical check and, once
it has arrived, the second reading; :mod:`desktop.core.region_triage`, cached per region on what
it depends on); Ctrl+F8 goes to the next such word. In the
editor a check-flagged word is underlined with dashes (a shape, not a colour alone), its reason
is the tooltip and a "⚑" line under the crop, and the right-click menu offers the check's
suggestions above the spelling ones. A suggestion is an edit of the editor's text that the
reviewer commits as usual (Enter): the text never changes by itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QHelpEvent, QTextCharFormat
from PySide6.QtWidgets import QLabel, QMenu, QToolTip

from desktop.core import review
from desktop.core.checks import Flag
from desktop.core.lexicon import Lexicon, Token
from desktop.core.region_triage import document_years, is_doubtful, text_triage, use_words, warm_up
from desktop.core.regions import Region
from desktop.core.triage import TriageWord
from desktop.qt.correction_panel import CorrectionPanel
from desktop.qt.documents import DocumentController
from desktop.qt.second_reader import SecondReaderController
from desktop.qt.settings_store import SettingsStore
from desktop.qt.workers import WorkerSignals, run_job

__all__ = ["CHECK_UNDERLINE", "SETTING", "TriageMarks"]

SETTING = "review/triage_threshold"
CHECK_UNDERLINE = QColor("#b45309")  # amber; the dashed line is the cue that is not colour
FLAG = "\u2691"


class TriageMarks(QObject):
    """Answers "is this region doubtful?" and marks the current region's check-flagged words."""

    changed = Signal(str)  # region id whose triage changed by itself (its second reading arrived)

    def __init__(
        self,
        settings: SettingsStore,
        documents: DocumentController,
        panel: CorrectionPanel,
        second_reader: SecondReaderController,
        current_id: Callable[[], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings, self._documents, self._panel, self._second = settings, documents, panel, second_reader
        self._current_id = current_id
        self._years: tuple[int, ...] | None = None  # the document's years, counted again after a change
        self._is_warm = False
        documents.session_changed.connect(self._forget_years)
        documents.closed.connect(self._forget_years)
        second_reader.reading_arrived.connect(self._on_reading_arrived)
        self.label = QLabel("")
        self.label.setObjectName("checkReasonsLabel")
        self.label.setWordWrap(True)
        self.label.hide()
        _insert_below(panel.confidence_label, self.label)
        self.check_format = QTextCharFormat()
        self.check_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DashUnderline)
        self.check_format.setUnderlineColor(CHECK_UNDERLINE)
        self._more_marks: Callable[[str], Iterable[tuple[int, int, QTextCharFormat]]] | None = None
        self._more_menu: Callable[[QMenu, int], None] | None = None
        # The drug lexicon loads once (about 0.15 s) on the global pool, never on the GUI thread, once the
        # first page is up (or soon, with no document): while the first page was prepared, its loading held
        # the interpreter's lock and made the page later to show.
        self._warming: WorkerSignals | None = None
        documents.page_shown.connect(self._warm_up)
        QTimer.singleShot(1500, self._warm_up)

    def attach_editor(self) -> None:
        """Mark, explain and suggest in the editor: called once the spelling's marks are in place,
        so that the checks' entries come above the spelling's and their tooltip is asked first."""
        ed = self._panel.editor
        self._more_marks, self._more_menu = ed.highlighter.word_marks, ed.extra_menu
        ed.highlighter.word_marks = self._marks
        ed.extra_menu = self.menu_actions
        ed.viewport().installEventFilter(self)  # after the spelling's filter: asked first
        ed.textChanged.connect(self._show_reasons)

    def _warm_up(self, *_args: object) -> None:
        if self._is_warm or self._warming is not None:
            return
        self._warming = run_job(QThreadPool.globalInstance(), "triage", warm_up, self._on_warm, self._on_warm)

    def _on_warm(self, *_args: object) -> None:
        self._warming, self._is_warm = None, True

    @property
    def threshold(self) -> float:
        return float(self._settings.get(SETTING))

    # ------------------------------------------------------------------ regions
    def _forget_years(self, *_args: object) -> None:
        self._years = None

    def _document_years(self) -> tuple[int, ...]:
        if self._years is None:
            session = self._documents.session
            self._years = document_years(session.regions()) if session is not None else ()
        return self._years

    def _second_words(self, region_id: str) -> tuple[str, ...] | None:
        reading = self._second.reading(region_id)
        return tuple(reading.texts) if reading is not None else None

    def is_doubtful(self, region: Region) -> bool:
        """Whether ``region`` (not reviewed) holds a word whose triage score reaches the threshold."""
        return is_doubtful(region, self.threshold, self._second_words(region.id), self._document_years())

    def words(self, text: str, region: Region) -> tuple[TriageWord, ...]:
        """The triage of ``text`` (the editor's, while it is edited) as a reading of ``region``."""
        if not text.strip():
            return ()
        second = self._second_words(region.id)
        return text_triage(text, region.model_text, tuple(region.confidences), second, self._document_years())

    def flagged_words(self, region: Region, text: str) -> list[Token]:
        """Ctrl+F8's words: those of ``text`` (as a reading of ``region``) the triage flags."""
        threshold = self.threshold
        return [
            Token(start, start + len(w.text), w.text)
            for w, start in zip(self.words(text, region), _starts(text))
            if w.score >= threshold
        ]

    def explain(self, text: str, start: int) -> str:
        """Why the current region's word of ``text`` starting at ``start`` is flagged (its reasons)."""
        region = self._current()
        if region is None:
            return ""
        for word, at in zip(self.words(text, region), _starts(text)):
            if at == start:
                return " ".join(word.reasons[:3])
        return ""

    def use_words(self, lexicon: Lexicon | None) -> None:
        """The word lists arrived: the score's "unknown word" counts from now on."""
        use_words(lexicon)
        self.changed.emit("")

    def _on_reading_arrived(self, region_id: str) -> None:
        self.changed.emit(region_id)
        if region_id == self._current_id():
            self._show_reasons()
            self._panel.editor.highlighter.rehighlight()

    # ------------------------------------------------------------------ the current region
    def _current(self) -> Region | None:
        session, rid = self._documents.session, self._current_id()
        return session.get(rid) if session is not None and rid else None

    def flags(self) -> list[Flag]:
        """The clinical checks' flags on the editor's text, in reading order, each once."""
        region = self._current()
        if region is None or not review.is_editable(region):
            return []
        out: list[Flag] = []
        for word in self.words(self._panel.editor.toPlainText(), region):
            out.extend(f for f in word.flags if f not in out)
        return out

    def show_current(self) -> None:
        """Show the current region's check reasons (after the selection changed)."""
        self._show_reasons()

    def _show_reasons(self) -> None:
        flags = self.flags()
        text = "\n".join(f"{FLAG} {f.reason}" for f in flags[:4]) + (" …" if len(flags) > 4 else "")
        tip = "Clinical checks: right-click the underlined words for suggestions"
        if not flags:  # the score alone flags words (unsure, unknown, the second reader differs): name them
            text, tip = self._words_to_check(), "Ctrl+F8 goes to each in turn and says why"
        self.label.setText(text)
        self.label.setToolTip(tip)
        self.label.setVisible(bool(text))

    def _words_to_check(self) -> str:
        """ "⚑ 2 words to check against the image (Ctrl+F8): 'TESTPATTENT', 'Alex'" for a region
        the triage flags that no person has reviewed; "" otherwise."""
        region = self._current()
        if region is None or not review.is_editable(region) or review.is_reviewed(region):
            return ""
        found = self.flagged_words(region, self._panel.editor.toPlainText())
        if not found:
            return ""
        names = ", ".join(f"'{t.word.strip(',;:')}'" for t in found[:3]) + (" …" if len(found) > 3 else "")
        many = "s" if len(found) > 1 else ""
        return f"{FLAG} {len(found)} word{many} to check against the image (Ctrl+F8): {names}"

    def _marks(self, block_text: str) -> Iterator[tuple[int, int, QTextCharFormat]]:
        if self._more_marks is not None:
            yield from self._more_marks(block_text)
        start = self._panel.editor.highlighter.currentBlock().position()
        for flag in self.flags():
            begin, end = max(flag.start - start, 0), min(flag.end - start, len(block_text))
            if begin < end:
                yield begin, end, self.check_format

    def flags_at(self, position: int) -> list[Flag]:
        """The flags over the editor's character at ``position`` (or the one before it)."""
        return [f for f in self.flags() if f.start <= position <= f.end]

    # ------------------------------------------------------------------ tooltip and menu
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Over a flagged word the tooltip gives the check's reason, above the confidence."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            ed = self._panel.editor
            position = ed.cursorForPosition(event.pos()).position()
            flags = self.flags_at(position)
            if flags:
                tip = ed.confidence_tip(max(0, min(position, flags[0].end - 1)))
                reasons = "\n".join(f"{FLAG} {f.reason}" for f in flags)
                QToolTip.showText(event.globalPos(), f"{reasons}\n{tip}" if tip else reasons, ed)
                return True
        return super().eventFilter(watched, event)

    def menu_actions(self, menu: QMenu, position: int) -> None:
        """The checks' suggestions for the flagged word at ``position``, above the spelling's entries."""
        if self._more_menu is not None:
            self._more_menu(menu, position)
        entries: list[QAction] = []
        for flag in self.flags_at(position):
            head = QAction(f"{FLAG} {flag.reason}", menu)
            head.setObjectName("checkReason")
            head.setEnabled(False)
            entries.append(head)
            for suggestion in flag.suggestions:
                act = QAction(suggestion, menu)
                act.setObjectName("checkSuggestion")
                act.triggered.connect(partial(self.replace, flag, suggestion))
                entries.append(act)
        if not entries:
            return
        first = menu.actions()[0] if menu.actions() else None
        menu.insertActions(first, entries)  # type: ignore[arg-type]  # None appends
        if first is not None:
            menu.insertSeparator(first)

    def replace(self, flag: Flag, suggestion: str, _checked: bool = False) -> None:
        """Put ``suggestion`` in place of the flagged span (an edit; Enter commits it)."""
        ed = self._panel.editor
        if flag not in self.flags() or flag.end > len(ed.toPlainText()):
            return  # the text changed since the menu opened
        ed.replace_span(flag.start, flag.end, suggestion)


def _starts(text: str) -> list[int]:
    """Where each whitespace-separated word of ``text`` starts."""
    return [m.start() for m in re.finditer(r"\S+", text)]


def _insert_below(anchor: QLabel, widget: QLabel) -> None:
    """Put ``widget`` right under ``anchor`` in the panel's layout."""
    parent = anchor.parentWidget()
    layout = parent.layout() if parent is not None else None
    if layout is not None and hasattr(layout, "insertWidget"):
        layout.insertWidget(layout.indexOf(anchor) + 1, widget)
