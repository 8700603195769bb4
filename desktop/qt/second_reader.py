"""The second reader in the shell: reads each region again after PARSeq's result is shown.

When the ``review/second_reader`` setting is on, every region PARSeq has read is queued for the
second reader (:mod:`inference.second_reader`), which reads in a child process at the lowest
CPU priority (its Python work never holds this process's GIL). Its jobs wait on a pool of their
own with one thread, and each starts only while the recognition pool is idle, so a second
reading does not delay a first one (``python -m desktop.bench --second-reader``).
The words the two readers read differently (:mod:`desktop.core.second_reading`) are
highlighted in the editor and listed under the crop with the other reading; Ctrl+T takes the
other reading for the word at the caret, or for every differing word of the region when the
caret is on none. Taking it edits the editor's text only: Enter saves it as a correction.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QTextEdit

from desktop.core.second_reading import Disagreement, disagreement_at, disagreements
from desktop.qt.correction_panel import CorrectionPanel
from desktop.qt.documents import DocumentController
from desktop.qt.recognition import RecognitionController
from desktop.qt.settings_store import SettingsStore
from desktop.qt.workers import run_job, user_text

if TYPE_CHECKING:  # loaded on the worker, only when the setting is on
    from inference.second_reader import SecondReader, SecondReading

log = logging.getLogger(__name__)

__all__ = ["SETTING", "SecondReaderController"]

SETTING = "review/second_reader"
WAIT_MS = 40  # how often a queued second reading looks again for an idle recognition pool
HOLD_MS = 5  # how often a running second reading looks whether a first reading has started
FLAG = QColor("#ffd59e")  # background of a word the second reader read otherwise

#: (document generation, region id, ticket): the ticket names the first reading it was asked for
#: in ``_asked`` (a job id is logged: it never holds text)
Job = tuple[int, str, int]


class SecondReaderController(QObject):
    """Queues second readings, keeps them per region, shows and applies the other reading."""

    reading_arrived = Signal(str)  # region id: its second reading (and disagreements) can be asked for
    state_changed = Signal(str)  # what the status bar says ("" when the second reader is off)
    message = Signal(str, int)

    def __init__(
        self,
        settings: SettingsStore,
        documents: DocumentController,
        recognition: RecognitionController,
        panel: CorrectionPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings, self._documents, self._recognition, self._panel = settings, documents, recognition, panel
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # the reader object lives on this one thread
        self._reader: SecondReader | None = None  # touched on the pool's thread only
        self._unavailable = ""  # why the reader cannot run here (the hint), once found out
        self._readings: dict[str, tuple[str, SecondReading]] = {}  # region id -> (first reading, second)
        self._queue: list[str] = []
        self._busy = False
        self._asked: dict[int, str] = {}  # ticket -> the first reading a running job compares with
        self._tickets = 0
        self._current: str | None = None
        self.label = QLabel("")
        self.label.setObjectName("secondReadingLabel")
        self.label.setWordWrap(True)
        self.label.hide()
        _insert_below(panel.confidence_label, self.label)
        self._hold_timer = QTimer(self, interval=HOLD_MS)  # while a second reading runs
        self._hold_timer.timeout.connect(self._hold_while_reading)
        self._refresh_timer = QTimer(self, singleShot=True, interval=250)
        self._refresh_timer.timeout.connect(self._show)
        recognition.region_read.connect(self._on_region_read)
        recognition.backend_ready.connect(lambda _text: self._announce())
        documents.closed.connect(self._forget)
        recognition.closing.connect(self.close)
        panel.editor.textChanged.connect(self._refresh_timer.start)

    # ------------------------------------------------------------------ state
    @property
    def is_busy(self) -> bool:
        """A second reading is running or waiting."""
        return self._busy or bool(self._queue)

    @property
    def is_on(self) -> bool:
        return bool(self._settings.get(SETTING))

    def status_text(self) -> str:
        if not self.is_on:
            return ""
        if self._unavailable:
            return "Second reader unavailable"
        from inference.second_reader import SECOND_READER_NAME

        return f"2nd reader: {SECOND_READER_NAME}"

    def _announce(self) -> None:
        self.state_changed.emit(self.status_text())

    def reading(self, region_id: str) -> SecondReading | None:
        """The second reading of a region's current first reading, once it has arrived."""
        region = self._region(region_id)
        kept = self._readings.get(region_id)
        return kept[1] if kept and region is not None and kept[0] == region.model_text else None

    def disagreements(self, region_id: str, text: str | None = None) -> list[Disagreement]:
        """Where the second reader read ``text`` (default: the region's text) otherwise."""
        region, second = self._region(region_id), self.reading(region_id)
        if region is None or second is None:
            return []
        return disagreements(region.text if text is None else text, second.texts)

    def _region(self, region_id: str | None) -> Any:
        session = self._documents.session
        return session.get(region_id) if session is not None and region_id else None

    def _forget(self) -> None:
        self._readings.clear()
        self._queue.clear()
        self.show_region(None)

    # ------------------------------------------------------------------ reading
    def _on_region_read(self, region_id: str, turn: int) -> None:
        self._announce()
        if not self.is_on or self._unavailable:
            return
        self._readings.pop(region_id, None)
        if region_id not in self._queue:
            self._queue.append(region_id)
        self._pump()

    def _pump(self) -> None:
        """Start the next second reading once the recognition pool is idle (first readings first)."""
        if self._busy or not self._queue:
            return
        if self._recognition.pool.activeThreadCount() > 0:
            QTimer.singleShot(WAIT_MS, self._pump)
            return
        region_id = self._queue.pop(0)
        region = self._region(region_id)
        page = self._documents.page_array(region.page) if region is not None else None
        if region is None or page is None or not region.model_text.strip():
            QTimer.singleShot(0, self._pump)
            return
        polygon, rotation = region.polygon, region.rotation

        def work() -> SecondReading:
            from inference.second_reader import open_second_reader

            if self._reader is None:
                self._reader = open_second_reader(threads=1, separate_process=True)
            # only the region's bounds are sent; the reader's process cuts and reads them
            h, w = page.shape[:2]
            x0 = max(0, int(min(x for x, _ in polygon)) - 2)
            y0 = max(0, int(min(y for _, y in polygon)) - 2)
            x1 = min(w, int(max(x for x, _ in polygon)) + 3)
            y1 = min(h, int(max(y for _, y in polygon)) + 3)
            local = [(x - x0, y - y0) for x, y in polygon]
            return self._reader.read_region(page[y0:y1, x0:x1], local, rotation)

        self._busy = True
        self._hold_timer.start()
        self._tickets += 1
        self._asked = {self._tickets: region.model_text}
        job: Job = (self._documents.generation, region_id, self._tickets)
        run_job(self.pool, job, work, self._on_done, self._on_failed)

    def _hold_while_reading(self) -> None:
        """Stop the second reader's process while the recognition pool works; let it go on after."""
        reader = self._reader
        if reader is not None and hasattr(reader, "hold"):
            reader.hold(self._busy and self._recognition.pool.activeThreadCount() > 0)
        if not self._busy:
            self._hold_timer.stop()

    def _on_done(self, job: Job, reading: SecondReading, _ms: float) -> None:
        self._busy = False
        self._hold_while_reading()
        doc_gen, region_id, ticket = job
        first = self._asked.pop(ticket, None)
        region = self._region(region_id)
        if doc_gen == self._documents.generation and region is not None and region.model_text == first:
            self._readings[region_id] = (region.model_text, reading)
            log.info("second reading of region %s: %d words in %.0f ms", region_id[:8], len(reading.words), reading.ms)
            self.reading_arrived.emit(region_id)
            if region_id == self._current:
                self._show()
        self._pump()

    def _on_failed(self, job: Job, exc: Exception) -> None:
        self._busy = False
        self._hold_while_reading()
        from inference.errors import BackendUnavailableError

        if isinstance(exc, BackendUnavailableError):
            self._unavailable = exc.hint or exc.user_message
            self._queue.clear()
            self._announce()
            self.message.emit(f"The second reader cannot run: {user_text(exc)}", 10000)
            return
        log.info("second reading of region %s failed: %s", job[1][:8], type(exc).__name__)
        self._pump()

    def close(self) -> None:
        """Wait for a running second reading and release the reader (the window is closing)."""
        self._queue.clear()
        self._hold_timer.stop()
        if self._reader is not None and hasattr(self._reader, "hold"):
            self._reader.hold(False)
        self.pool.waitForDone(5000)
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    # ------------------------------------------------------------------ showing and taking
    def show_region(self, region_id: str | None) -> None:
        """Show the current region's disagreements (the navigator's selection)."""
        self._current = region_id
        self._announce()
        self._show()

    def _editor_text(self) -> str:
        return self._panel.editor.toPlainText()

    def _show(self) -> None:
        ed = self._panel.editor
        region_id = self._current
        items = self.disagreements(region_id, self._editor_text()) if region_id else []
        second = self.reading(region_id) if region_id else None
        selections = []
        for d in items:
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(FLAG)
            fmt.setToolTip(f"{second.engine if second else 'Second reader'} read: {d.other or '(nothing)'}")
            sel.format = fmt
            cur = QTextCursor(ed.document())
            cur.setPosition(d.start)
            cur.setPosition(d.end, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            selections.append(sel)
        ed.setExtraSelections(selections)
        if second is None:
            self.label.hide()
            return
        if items:
            pairs = " · ".join(f"{d.first} \u2192 {d.other or '(nothing)'}" for d in items[:6])
            more = f" · {len(items) - 6} more" if len(items) > 6 else ""
            self.label.setText(f"\u2691 {second.engine} reads otherwise: {pairs}{more} (Ctrl+T takes it)")
        else:
            self.label.setText(f"\u2713 {second.engine} reads the same")
        self.label.setToolTip(f"{second.engine} read: {' '.join(second.texts)}")
        self.label.show()

    def take_other_reading(self) -> None:
        """Ctrl+T: the other reading for the word at the caret, or for the whole region."""
        ed = self._panel.editor
        if self._current is None or not ed.isEnabled() or ed.isReadOnly():
            return
        if self.reading(self._current) is None:
            self.message.emit("No second reading for this region (yet)", 4000)
            return
        text = self._editor_text()
        items = self.disagreements(self._current, text)
        if not items:
            self.message.emit("The second reader reads this region the same", 4000)
            return
        at = disagreement_at(items, ed.textCursor().position())
        chosen = [at] if at is not None else items
        cur = QTextCursor(ed.document())
        cur.beginEditBlock()  # one Ctrl+Z in the editor undoes it
        for d in reversed(chosen):
            cur.setPosition(d.start)
            cur.setPosition(d.end, QTextCursor.MoveMode.KeepAnchor)
            cur.insertText(d.other)
        cur.endEditBlock()
        caret = QTextCursor(ed.document())
        caret.setPosition(chosen[0].start + len(chosen[0].other) if len(chosen) == 1 else len(ed.toPlainText()))
        ed.setTextCursor(caret)
        ed.setFocus()
        self._show()
        self.message.emit("Took the second reading: Enter saves it, Ctrl+Z in the text undoes it", 5000)


def _insert_below(anchor: QLabel, widget: QLabel) -> None:
    """Put ``widget`` right under ``anchor`` in the panel's layout."""
    parent = anchor.parentWidget()
    layout = parent.layout() if parent is not None else None
    if layout is not None and hasattr(layout, "insertWidget"):
        layout.insertWidget(layout.indexOf(anchor) + 1, widget)
