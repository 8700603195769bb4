"""Read pages…: the text lines of a range of pages become read regions, in one undoable step.

A small dialog asks for the pages (all by default). Pages that already have regions are named in
a question first: replace their regions, skip those pages, or cancel. Each page is rendered (off
the GUI thread, by the page cache) and its lines found on a worker, page after page, under a
progress dialog whose Cancel leaves the review unchanged. Then every line of every page is added
in ONE :class:`~desktop.core.history.Batch` (Ctrl+Z takes the whole range back) and read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QSpinBox,
    QWidget,
)

from desktop.core.history import AddRegion, Batch, Operation, RemoveRegion
from desktop.qt.documents import DocumentController
from desktop.qt.page_view import PageView
from desktop.qt.recognition import RecognitionController
from desktop.qt.undo import UndoController
from desktop.qt.workers import run_job
from inference.errors import NoteLassoError
from inference.geometry import Point

log = logging.getLogger(__name__)

__all__ = ["CANCEL", "REPLACE", "SKIP", "PageRangeDialog", "RangeReader", "ask_reread"]

REPLACE, SKIP, CANCEL = "replace", "skip", "cancel"


class PageRangeDialog(QDialog):
    """From page / to page (1-based on screen), all pages by default."""

    def __init__(self, page_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Read pages")
        self.first, self.last = QSpinBox(), QSpinBox()
        for box, value in ((self.first, 1), (self.last, page_count)):
            box.setRange(1, max(1, page_count))
            box.setValue(value)
        self.first.valueChanged.connect(lambda v: self.last.setValue(max(v, self.last.value())))
        self.last.valueChanged.connect(lambda v: self.first.setValue(min(v, self.first.value())))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Read")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("Each text line of the pages becomes a region, read in reading order."))
        form.addRow("From page:", self.first)
        form.addRow("To page:", self.last)
        form.addRow(buttons)

    def pages(self) -> tuple[int, int]:
        """The range chosen, 0-based, first <= last."""
        return self.first.value() - 1, self.last.value() - 1


def ask_range(parent: QWidget | None, page_count: int) -> tuple[int, int] | None:
    dialog = PageRangeDialog(page_count, parent)
    return dialog.pages() if dialog.exec() == QDialog.DialogCode.Accepted else None


def ask_reread(parent: QWidget | None, pages: list[int]) -> str:
    """The default question for pages that have regions: Replace / Skip those pages / Cancel."""
    named = ", ".join(str(p + 1) for p in pages[:12]) + ("…" if len(pages) > 12 else "")
    box = QMessageBox(
        QMessageBox.Icon.Question, "Read pages", f"{len(pages)} page(s) already have regions: {named}.", parent=parent
    )
    box.setInformativeText("Replace their regions with the lines found (Ctrl+Z brings them back), or skip them?")
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    skip = box.addButton("Skip those pages", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(skip)
    box.exec()
    return {id(replace): REPLACE, id(skip): SKIP}.get(id(box.clickedButton()), CANCEL)


class RangeReader(QObject):
    """The "Read pages…" command. ``range_hook(page_count)`` and ``confirm_hook(pages)`` ask the
    reviewer (dialogs by default; tests replace them); ``progress`` is the dialog while it runs."""

    lines_added = Signal(list)  # ids of the new line regions, in the review's order
    finished = Signal(int)  # lines added; 0 when cancelled or nothing was found
    message = Signal(str, int)

    def __init__(
        self,
        documents: DocumentController,
        recognition: RecognitionController,
        undo: UndoController,
        view: PageView,
        report: Callable[[str, Exception], None],
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._documents, self._recognition, self._undo, self._view = documents, recognition, undo, view
        self._pool, self._report = pool or recognition.pool, report
        self.range_hook: Callable[[int], tuple[int, int] | None] = lambda count: ask_range(view.window(), count)
        self.confirm_hook: Callable[[list[int]], str] = lambda pages: ask_reread(view.window(), pages)
        self.progress: QProgressDialog | None = None
        self.is_busy = False
        self._run = 0  # bumped per run and on cancel: a late result of an earlier run is dropped
        self._todo: list[int] = []
        self._found: dict[int, tuple[int, list[list[Point]]]] = {}  # page -> (rotation, lines)
        self._replace = False
        self._waiting: int | None = None  # a page being rendered for the run
        documents.page_image_ready.connect(self._on_page_ready)
        documents.pages.page_failed.connect(lambda _gen, index, exc: self._on_page_failed(index, exc))
        documents.closed.connect(self.cancel)

    def choose(self) -> None:
        """Ask for the pages, then read them (see the class)."""
        session = self._documents.session
        if session is None or self.is_busy:
            return
        if session.is_read_only:
            self.message.emit("This review is read-only: no regions can be added", 5000)
            return
        picked = self.range_hook(self._documents.page_count)
        if picked is not None:
            self.read_pages(*picked)

    def read_pages(self, first: int, last: int) -> None:
        """Read pages ``first``..``last`` (0-based, inclusive), asking about pages that have regions."""
        session = self._documents.session
        if session is None or self.is_busy or session.is_read_only:
            return
        pages = list(range(max(0, first), min(last, self._documents.page_count - 1) + 1))
        with_regions = [p for p in pages if session.regions(p)]
        choice = self.confirm_hook(with_regions) if with_regions else REPLACE
        if choice not in (REPLACE, SKIP):
            return
        if choice == SKIP:
            pages = [p for p in pages if p not in with_regions]
        if not pages:
            self.message.emit("Every page chosen has regions already: nothing to read", 5000)
            return
        self._run += 1
        self.is_busy, self._todo, self._found, self._replace = True, pages, {}, choice == REPLACE
        self.progress = QProgressDialog("Finding the lines…", "Cancel", 0, len(pages), self._view.window())
        self.progress.setWindowTitle("Read pages")
        self.progress.setWindowModality(Qt.WindowModality.NonModal)  # a modal one would run events in setValue
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.cancel)
        self.progress.setValue(0)
        self.progress.show()
        self._next()

    def _next(self) -> None:
        session = self._documents.session
        if not self.is_busy or session is None:
            return
        if not self._todo:
            self._finish()
            return
        page = self._todo[0]
        done = len(self._found)
        if self.progress is not None:
            self.progress.setLabelText(
                f"Finding the lines of page {page + 1} ({done + 1} of {done + len(self._todo)})…"
            )
        image = self._documents.page_array(page)
        if image is None:  # rendered off the GUI thread; _on_page_ready goes on
            self._waiting = page
            self._documents.pages.request(page)
            return
        rotation = self._view.rotation if page == self._documents.page_index else session.page_rotation(page)

        def find() -> list[list[Point]]:
            from inference.page_lines import find_page_lines  # OpenCV loads with the first use

            return find_page_lines(image, rotation=rotation)

        job = (self._run, self._documents.generation, page, rotation)
        run_job(self._pool, job, find, self._on_found, self._on_failed)
        if len(self._todo) > 1:  # the next page renders while this one's lines are found
            self._documents.pages.request(self._todo[1])

    def _on_page_ready(self, index: int) -> None:
        if self.is_busy and index == self._waiting:
            self._waiting = None
            self._next()

    def _on_page_failed(self, index: int, exc: Exception) -> None:
        if self.is_busy and index == self._waiting:
            self._stop()
            self._report(f"Cannot read page {index + 1}", exc)

    def _on_found(self, job: tuple[int, int, int, int], lines: list[list[Point]], ms: float) -> None:
        run, generation, page, rotation = job
        if not self.is_busy or run != self._run or generation != self._documents.generation:
            return  # cancelled, or another document
        log.info("page %d: %d lines found in %.0f ms", page + 1, len(lines), ms)
        self._found[page] = (rotation, lines)
        self._todo.pop(0)
        if self.progress is not None:
            self.progress.setValue(len(self._found))
        self._next()

    def _on_failed(self, job: tuple[int, int, int, int], exc: Exception) -> None:
        if self.is_busy and job[0] == self._run:
            self._stop()
            self._report(f"Cannot find the lines of page {job[2] + 1}", exc)

    def cancel(self) -> None:
        """Stop before anything is added: the review stays as it was."""
        if not self.is_busy:
            return
        self._stop()
        self.message.emit("Reading pages cancelled: nothing was changed", 5000)
        self.finished.emit(0)

    def _stop(self) -> None:
        self.is_busy, self._waiting, self._todo = False, None, []
        self._run += 1
        progress, self.progress = self.progress, None
        if progress is not None:
            progress.canceled.disconnect(self.cancel)
            progress.reset()  # stops its timer that would show it again
            progress.hide()
            progress.deleteLater()
            self._view.window().activateWindow()  # the keys go back to the review

    def _finish(self) -> None:
        session, found, replace = self._documents.session, self._found, self._replace
        self._stop()
        if session is None:
            return
        pages = sorted(found)
        adds = [AddRegion.new(p, line, rotation=found[p][0]) for p in pages for line in found[p][1]]
        removes: list[Operation] = [RemoveRegion(region_id=r.id) for p in pages for r in session.regions(p)]
        if not adds:
            self.message.emit("No text lines found on those pages", 5000)
            self.finished.emit(0)
            return
        span = f"page {pages[0] + 1}" if len(pages) == 1 else f"pages {pages[0] + 1}\u2013{pages[-1] + 1}"
        try:
            self._undo.push(Batch(ops=[*(removes if replace else []), *adds], text=f"Read {span} ({len(adds)} lines)"))
        except NoteLassoError as exc:
            self._report("Cannot add the lines of the pages", exc)
            self.finished.emit(0)
            return
        self.message.emit(f"{len(adds)} lines found on {len(pages)} page(s): reading them…", 6000)
        for op in adds:
            self._recognition.read(op.region_id, restart_clock=True)
        self.lines_added.emit([op.region_id for op in adds])
        self.finished.emit(len(adds))
