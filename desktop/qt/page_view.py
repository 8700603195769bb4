"""The page: a QGraphicsView whose scene is in page pixels, with lasso and rectangle tools.

Scene coordinates are page pixels at the session's dpi, whatever the zoom or rotation (those
live in the view transform), so every polygon this view emits is already in page pixels.
What the mouse and keys mean (drawing, panning, point handles) is in :mod:`desktop.qt.page_gestures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QStyle, QWidget

from desktop.core.regions import Region
from desktop.qt.overlays import STATUS_COLOURS, RegionItem
from desktop.qt.page_gestures import PageGestures, PageSurface, Tool
from inference.geometry import Point

__all__ = ["STATUS_COLOURS", "PageView", "RegionItem", "Tool"]

MIN_ZOOM, MAX_ZOOM = 0.05, 8.0
FOLLOW_MAX_ZOOM = 2.5  # zooming to a short region stops here (the scan's own grain shows beyond)
FOLLOW_FILL = 0.85  # the share of the view's width (and at most its height) a region is zoomed to


class PageView(PageSurface):
    """Shows one page; emits ``region_drawn(polygon)`` in page pixels (the signals: see PageSurface)."""

    zoom_changed = Signal(float)
    rotation_changed = Signal(int)  # clockwise degrees the page is now turned on screen
    tool_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QColor("#c9cdd3"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._page_item: QGraphicsPixmapItem | None = None
        self._items: dict[str, RegionItem] = {}
        self._tool = Tool.LASSO
        self.gestures = PageGestures(self)
        self._words_shown, self._threshold = False, 0.6
        self._zoom = 1.0
        self._rotation = 0
        self._fit_mode: str | None = "width"
        self._page_size = (0, 0)
        self.is_read_only = False
        self.setMouseTracking(True)
        self.gestures.update_cursor()

    # -- page ------------------------------------------------------------------------
    def set_page(self, image: QImage | None) -> None:
        """Show a page image (None: an empty view). Clears the region overlays."""
        self._scene.clear()
        self._items.clear()
        self._page_item = None
        self.gestures.drawing, self.gestures.rubber = None, None
        if image is None:
            self._page_size = (0, 0)
            return
        shadow = self._scene.addRect(
            QRectF(3, 4, image.width(), image.height()), QPen(Qt.PenStyle.NoPen), QBrush(QColor(0, 0, 0, 55))
        )
        shadow.setZValue(-1)
        self._page_item = self._scene.addPixmap(QPixmap.fromImage(image))
        self._page_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._page_item.setZValue(0)
        self._page_size = (image.width(), image.height())
        self._scene.setSceneRect(QRectF(-20, -20, image.width() + 40, image.height() + 40))
        self._refit()
        self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())  # a new page starts at its top

    @property
    def has_page(self) -> bool:
        return self._page_item is not None

    # -- regions -------------------------------------------------------------------------
    def set_regions(self, regions: Iterable[Region]) -> None:
        for item in self._items.values():
            self._scene.removeItem(item)
        self._items.clear()
        for r in regions:
            self.upsert_region(r)

    def upsert_region(self, region: Region) -> None:
        item = self._items.get(region.id)
        if item is None:
            item = RegionItem(region, self.region_moved.emit)
            item.show_confidence(self._words_shown, self._threshold)
            self._items[region.id] = item
            self._scene.addItem(item)
        else:
            item.update_region(region)

    def remove_region(self, region_id: str) -> None:
        item = self._items.pop(region_id, None)
        if item is not None:
            self._scene.removeItem(item)

    def mark_flagged(self, region_ids: Iterable[str]) -> None:
        """Flag these regions as holding doubtful text; the others lose their flag."""
        flagged = set(region_ids)
        for rid, item in self._items.items():
            item.set_flagged(rid in flagged)

    def region_item(self, region_id: str) -> RegionItem | None:
        return self._items.get(region_id)

    def region_items(self) -> list[RegionItem]:
        return list(self._items.values())

    def selected_item(self) -> RegionItem | None:
        return next((item for item in self._items.values() if item.isSelected()), None)

    # -- words -----------------------------------------------------------------------------
    def light_word(self, region_id: str | None, index: int | None) -> None:
        """Light one word box (the editor's caret is on it); every other word box goes out."""
        for rid, item in self._items.items():
            item.light_word(index if rid == region_id else None)

    def show_word_confidence(self, shown: bool, threshold: float) -> None:
        """Label every word box on the page with the model's confidence in it (or stop)."""
        self._words_shown, self._threshold = shown, threshold
        for item in self._items.values():
            item.show_confidence(shown, threshold)

    @property
    def is_showing_word_confidence(self) -> bool:
        return self._words_shown

    def select_region(self, region_id: str | None, *, ensure_visible: bool = True) -> None:
        blocked = self._scene.blockSignals(True)
        for rid, item in self._items.items():
            item.setSelected(rid == region_id)
        self._scene.blockSignals(blocked)
        chosen = self._items.get(region_id or "")
        if chosen is not None and ensure_visible:
            self.ensureVisible(chosen, 40, 40)

    # -- tools -----------------------------------------------------------------------------
    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        self._tool = tool
        self.gestures.update_cursor()
        self.tool_changed.emit(tool)

    def draw_polygon(self, points: Sequence[Point]) -> None:
        """Emit a drawn region (page pixels). The mouse handlers end here; tests may call it directly."""
        pts = [(float(x), float(y)) for x, y in points]
        if len(pts) >= 3 and self.has_page:
            self.region_drawn.emit(pts)

    # -- zoom, fit, rotate ---------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def rotation(self) -> int:
        return self._rotation

    def set_zoom(self, zoom: float, *, keep_fit: bool = False) -> None:
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if not keep_fit:
            self._fit_mode = None
        self.resetTransform()
        self.rotate(self._rotation)
        self.scale(self._zoom, self._zoom)
        self.zoom_changed.emit(self._zoom)

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self._zoom * factor)

    def fit_width(self) -> None:
        self._fit_mode = "width"
        self._refit()

    def fit_page(self) -> None:
        self._fit_mode = "page"
        self._refit()

    def zoom_to_region(self, region_id: str) -> None:
        """Zoom so the region fills the view's width comfortably (no more than FOLLOW_MAX_ZOOM, no less
        than the whole page fitted) and centre on it."""
        item = self._items.get(region_id)
        if item is None or not self.has_page:
            return
        bounds = item.sceneBoundingRect()
        turned = self.transform().mapRect(bounds)  # on screen, turned, at the current zoom
        w, h = turned.width() / self._zoom, turned.height() / self._zoom
        vw, vh = max(50, self.viewport().width()), max(50, self.viewport().height())
        zoom = min(FOLLOW_FILL * vw / max(w, 1.0), FOLLOW_FILL * vh / max(h, 1.0), FOLLOW_MAX_ZOOM)
        pw, ph = self._page_size if self._rotation in (0, 180) else self._page_size[::-1]
        whole = min((vw - 24) / max(pw, 1), (vh - 24) / max(ph, 1))
        self.set_zoom(max(zoom, min(whole, FOLLOW_MAX_ZOOM)))
        self.centerOn(bounds.center())

    def rotate_page(self, degrees: int = 90) -> None:
        self.set_rotation(self._rotation + degrees)

    def set_rotation(self, degrees: int) -> None:
        """Turn the page on screen to ``degrees`` clockwise (a quarter-turn multiple)."""
        degrees %= 360
        if degrees == self._rotation:
            return
        self._rotation = degrees
        self.rotation_changed.emit(degrees)
        if self._fit_mode:
            self._refit()
        else:
            self.set_zoom(self._zoom)

    def _refit(self) -> None:
        w, h = self._page_size
        if not w or not h or not self._fit_mode:
            return
        if self._rotation in (90, 270):
            w, h = h, w
        # Measured on the whole view, not the viewport: a fit that shows or hides a scroll bar
        # changes the viewport, and fitting to that would resize, refit and loop for ever. Fit to
        # width keeps room for the vertical bar; fit to page leaves room for the scene's margin.
        frame = 2 * self.frameWidth()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        full_w, full_h = self.width() - frame, self.height() - frame
        if self._fit_mode == "width":
            zoom = max(50, full_w - bar - 24) / w
        else:
            zoom = min(max(50, full_w - 8) / (w + 40), max(50, full_h - 8) / (h + 40))
        self.set_zoom(zoom, keep_fit=True)
        if self._fit_mode == "width":
            top = self.mapToScene(self.viewport().rect().center())
            self.centerOn(QPointF(self._page_size[0] / 2, top.y()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        # The view keeps its centre when resized, but a view showing the page's top keeps the top
        # (a new page starts there, and the window's rows settle just after it is shown).
        bar = self.verticalScrollBar()
        at_top = bar.value() == bar.minimum()
        super().resizeEvent(event)
        self._refit()
        if at_top:
            bar.setValue(bar.minimum())

    # -- mouse and keys: see page_gestures ------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        self.gestures.wheel(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.gestures.key_press(event):
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if self.gestures.key_release(event):
            event.accept()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.gestures.press(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.gestures.double_click(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self.gestures.move(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.gestures.release(event)
