"""Read a whole page: find its text lines, add them as line regions in one undoable step, read each.

The lines are found off the GUI thread (:func:`inference.page_lines.find_page_lines`, on the page
as the reviewer turned it); a result for a page or document no longer shown is dropped. All new
regions go in ONE :class:`~desktop.core.history.Batch` of ``AddRegion`` (with the ``RemoveRegion``
of a replace), so a single Ctrl+Z takes the whole reading back; then each is read by the
:class:`~desktop.qt.recognition.RecognitionController`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.core.history import AddRegion, Batch, Operation, RemoveRegion
from desktop.core.regions import Region
from desktop.qt.documents import DocumentController
from desktop.qt.page_view import PageView
from desktop.qt.recognition import RecognitionController
from desktop.qt.undo import UndoController
from desktop.qt.workers import run_job
from inference.errors import NoteLassoError
from inference.geometry import Point

log = logging.getLogger(__name__)

__all__ = ["ADD_WHERE_EMPTY", "CANCEL", "REPLACE", "PageReader", "ask_replace"]

REPLACE, ADD_WHERE_EMPTY, CANCEL = "replace", "add_where_empty", "cancel"
OVERLAP = 0.3  # a found line sharing this share of its box with a region is not "empty"


def ask_replace(parent: QWidget | None, count: int) -> str:
    """The default confirmation: a question with Replace / Add only where empty / Cancel."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Read whole page", f"This page already has {count} region(s).", parent=parent
    )
    box.setInformativeText(
        "Replace them with the lines found (Ctrl+Z brings them back), or add lines only where the page has no region?"
    )
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    empty = box.addButton("Add only where empty", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(empty)
    box.exec()
    return {id(replace): REPLACE, id(empty): ADD_WHERE_EMPTY}.get(id(box.clickedButton()), CANCEL)


def _bbox(polygon: list[Point] | tuple[Point, ...]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def _is_covered(line: list[Point], regions: list[Region]) -> bool:
    """Whether an existing region covers a fair share (OVERLAP) of the line's box."""
    x0, y0, x1, y1 = _bbox(line)
    area = max(1.0, (x1 - x0) * (y1 - y0))
    for r in regions:
        a0, b0, a1, b1 = _bbox(r.polygon)
        if max(0.0, min(x1, a1) - max(x0, a0)) * max(0.0, min(y1, b1) - max(y0, b0)) >= OVERLAP * area:
            return True
    return False


class PageReader(QObject):
    """The "Read whole page" command (Ctrl+Shift+R).

    When the page already has regions, ``confirm_hook(count)`` is asked first (a QMessageBox by
    default; tests replace it). It answers :data:`REPLACE` (the page's regions are removed and
    the lines found take their place, in the same undo step), :data:`ADD_WHERE_EMPTY` (only lines
    that no region covers are added, so reviewed work is kept) or :data:`CANCEL`.
    """

    lines_added = Signal(list)  # ids of the new line regions, in reading order
    message = Signal(str, int)  # status-bar text, milliseconds

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
        self.confirm_hook: Callable[[int], str] = lambda count: ask_replace(view.window(), count)
        self.is_busy = False

    def read_page(self) -> None:
        """Find the lines of the page shown on a worker, then add and read them (see the class)."""
        session, index = self._documents.session, self._documents.page_index
        page = self._documents.page_array(index)
        if session is None or self.is_busy:
            return
        if session.is_read_only:
            self.message.emit("This review is read-only: no regions can be added", 5000)
            return
        if page is None:
            self.message.emit("The page is still rendering: try again in a moment", 4000)
            return
        existing = session.regions(index)
        choice = self.confirm_hook(len(existing)) if existing else REPLACE
        if choice not in (REPLACE, ADD_WHERE_EMPTY):
            return
        self.is_busy = True
        rotation = self._view.rotation

        def find() -> list[list[Point]]:
            from inference.page_lines import find_page_lines  # OpenCV loads with the first use

            return find_page_lines(page, rotation=rotation)

        self.message.emit("Finding the lines of the page…", 0)
        run_job(
            self._pool, (self._documents.generation, index, rotation, choice), find, self._on_found, self._on_failed
        )

    def _on_found(self, job: tuple[int, int, int, str], lines: list[list[Point]], ms: float) -> None:
        self.is_busy = False
        generation, index, rotation, choice = job
        session = self._documents.session
        if session is None or generation != self._documents.generation or index != self._documents.page_index:
            return  # the page or document changed meanwhile
        existing = session.regions(index)
        if choice == ADD_WHERE_EMPTY:
            lines = [line for line in lines if not _is_covered(line, existing)]
        log.info("page %d: %d lines found in %.0f ms", index + 1, len(lines), ms)
        if not lines:
            self.message.emit("No text lines found where the page has no region", 5000)
            return
        adds = [AddRegion.new(index, line, rotation=rotation) for line in lines]
        removes: list[Operation] = [RemoveRegion(region_id=r.id) for r in existing] if choice == REPLACE else []
        try:
            self._undo.push(Batch(ops=[*removes, *adds], text=f"Read whole page ({len(adds)} lines)"))
        except NoteLassoError as exc:
            self._report("Cannot add the lines of the page", exc)
            return
        self.message.emit(f"{len(adds)} lines found: reading them…", 5000)
        for op in adds:
            self._recognition.read(op.region_id, restart_clock=True)
        self.lines_added.emit([op.region_id for op in adds])

    def _on_failed(self, _job: object, exc: Exception) -> None:
        self.is_busy = False
        self._report("Cannot find the lines of the page", exc)
