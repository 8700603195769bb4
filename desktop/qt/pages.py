"""Page images for the window: rendered off the GUI thread, cached, and the thumbnail strip.

Memory: the cache holds at most :data:`PAGE_CACHE_BYTES` of pages (each page as an RGB array for
recognition and a QImage for the view; the newest page is always kept), on top of one render at a
time (``inference.documents.RENDER_MEMORY_BOUND``). Pages are at most ``MAX_PAGE_PIXELS``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from desktop.qt.workers import run_job
from inference.documents import Document

__all__ = ["PAGE_CACHE_BYTES", "PageCache", "ThumbnailStrip", "to_qimage"]

THUMB_WIDTH = 120
#: The most bytes of rendered pages the window keeps (arrays and QImages together).
PAGE_CACHE_BYTES = 512 * 2**20
PAGE_PRIORITY, THUMB_PRIORITY = 1, 0  # a page asked for is rendered before any queued thumbnail


def to_qimage(page: npt.NDArray[np.uint8]) -> QImage:
    """RGB or gray uint8 array -> a QImage that owns its pixels."""
    page = np.ascontiguousarray(page)
    h, w = page.shape[:2]
    if page.ndim == 2:
        return QImage(page.data, w, h, page.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QImage(page.data, w, h, page.strides[0], QImage.Format.Format_RGB888).copy()


class PageCache(QObject):
    """Renders pages of one document at one dpi on a single worker thread; keeps the last few.

    ``page_ready(generation, index)`` fires on the GUI thread; ``page_failed(generation, index, error)``.
    Pages asked for jump the queue ahead of thumbnails; at most ``capacity`` pages and
    :data:`PAGE_CACHE_BYTES` bytes are kept (the newest page always).
    """

    page_ready = Signal(int, int)
    page_failed = Signal(int, int, object)
    thumb_ready = Signal(int, int, QImage)

    def __init__(self, capacity: int = 6, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one PyMuPDF document is used by one thread at a time anyway
        self._capacity = capacity
        self._pages: OrderedDict[int, tuple[npt.NDArray[np.uint8], QImage]] = OrderedDict()
        self._inflight: set[int] = set()
        self._document: Document | None = None
        self._dpi = 200
        self.generation = 0
        self.last_render_ms = 0.0

    def reset(self, document: Document | None, dpi: int) -> None:
        self.generation += 1
        self._document, self._dpi = document, dpi
        self._pages.clear()
        self._inflight.clear()

    def get(self, index: int) -> tuple[npt.NDArray[np.uint8], QImage] | None:
        item = self._pages.get(index)
        if item is not None:
            self._pages.move_to_end(index)
        return item

    def request(self, index: int) -> None:
        """Render page ``index`` unless cached or already on its way."""
        doc = self._document
        if doc is None or not 0 <= index < doc.page_count or index in self._pages or index in self._inflight:
            return
        self._inflight.add(index)
        dpi, gen = self._dpi, self.generation

        def render() -> tuple[npt.NDArray[np.uint8], QImage]:
            array = doc.render(index, dpi)
            return array, to_qimage(array)

        run_job(self._pool, (gen, index), render, self._on_rendered, self._on_failed, priority=PAGE_PRIORITY)

    @property
    def cached_bytes(self) -> int:
        """Bytes held by the cached pages (arrays and QImages)."""
        return sum(array.nbytes + image.sizeInBytes() for array, image in self._pages.values())

    def request_thumbnails(self, count: int) -> None:
        """Render the first ``count`` thumbnails small, after any page asked for."""
        doc, gen = self._document, self.generation
        if doc is None:
            return
        for index in range(count):

            def render(i: int = index) -> QImage:
                image = to_qimage(doc.render_thumbnail(i, THUMB_WIDTH))
                if image.width() == THUMB_WIDTH:
                    return image
                return image.scaledToWidth(THUMB_WIDTH, Qt.TransformationMode.SmoothTransformation)

            run_job(self._pool, (gen, index), render, self._on_thumb, self._on_thumb_failed, priority=THUMB_PRIORITY)

    def _on_rendered(self, job: tuple[int, int], result: tuple[npt.NDArray[np.uint8], QImage], ms: float) -> None:
        gen, index = job
        if gen != self.generation:
            return
        self._inflight.discard(index)
        self.last_render_ms = ms
        self._pages[index] = result
        while len(self._pages) > 1 and (len(self._pages) > self._capacity or self.cached_bytes > PAGE_CACHE_BYTES):
            self._pages.popitem(last=False)
        self.page_ready.emit(gen, index)

    def _on_failed(self, job: tuple[int, int], exc: Exception) -> None:
        gen, index = job
        if gen != self.generation:
            return
        self._inflight.discard(index)
        self.page_failed.emit(gen, index, exc)

    def _on_thumb(self, job: tuple[int, int], image: QImage, _ms: float) -> None:
        gen, index = job
        if gen == self.generation:
            self.thumb_ready.emit(gen, index, image)

    def _on_thumb_failed(self, _job: tuple[int, int], _exc: Exception) -> None:
        pass  # the page itself reports the error when it is shown

    def wait(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)


class ThumbnailStrip(QListWidget):
    """Page thumbnails on the left; ``page_chosen(index)`` when the user picks one."""

    page_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(THUMB_WIDTH, int(THUMB_WIDTH * 1.3)))
        self.setSpacing(6)
        self.setFixedWidth(THUMB_WIDTH + 40)
        self.setUniformItemSizes(True)
        self.currentRowChanged.connect(self._on_row)
        self._placeholder = self._blank_icon()

    @staticmethod
    def _blank_icon() -> QIcon:
        pix = QPixmap(THUMB_WIDTH, int(THUMB_WIDTH * 1.3))
        pix.fill(QColor("#f4f5f7"))
        return QIcon(pix)

    def set_count(self, count: int) -> None:
        blocked = self.blockSignals(True)
        self.clear()
        for i in range(count):
            item = QListWidgetItem(self._placeholder, str(i + 1))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
        self.blockSignals(blocked)

    def set_thumbnail(self, index: int, image: QImage) -> None:
        item = self.item(index)
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def set_current(self, index: int) -> None:
        blocked = self.blockSignals(True)
        self.setCurrentRow(index)
        self.blockSignals(blocked)

    def _on_row(self, row: int) -> None:
        if row >= 0:
            self.page_chosen.emit(row)
