"""The page: a QGraphicsView whose scene is in page pixels, with lasso and rectangle tools.

Scene coordinates are page pixels at the session's dpi, whatever the zoom or rotation (those
live in the view transform), so every polygon this view emits is already in page pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsPolygonItem, QGraphicsScene, QGraphicsView, QWidget

from desktop.core.regions import Region
from desktop.qt.overlays import STATUS_COLOURS, CornerHandle, RegionItem
from inference.geometry import Point

__all__ = ["STATUS_COLOURS", "PageView", "RegionItem", "Tool"]


class Tool:
    SELECT = "select"
    LASSO = "lasso"
    RECT = "rect"


MIN_ZOOM, MAX_ZOOM = 0.05, 8.0


class PageView(QGraphicsView):
    """Shows one page; emits ``region_drawn(polygon)`` in page pixels."""

    region_drawn = Signal(list)  # [(x, y), ...] page pixels
    region_moved = Signal(str, list)  # region id, new polygon
    region_clicked = Signal(str)  # region id
    edit_requested = Signal()  # Enter or a double click: the reviewer wants to type in the region's text
    selection_emptied = Signal()
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
        self._drawing: list[QPointF] | None = None
        self._rubber: QGraphicsPolygonItem | None = None
        self._pan_from: QPointF | None = None
        self._press_hit: str | None = None
        self._space_down = False
        self._zoom = 1.0
        self._rotation = 0
        self._fit_mode: str | None = "width"
        self._page_size = (0, 0)
        self.is_read_only = False  # regions can be chosen, not drawn, moved or reshaped
        self.setMouseTracking(True)
        self._update_cursor()

    # -- page ------------------------------------------------------------------------
    def set_page(self, image: QImage | None) -> None:
        """Show a page image (None: an empty view). Clears the region overlays."""
        self._scene.clear()
        self._items.clear()
        self._page_item = None
        self._drawing, self._rubber = None, None
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
        self._update_cursor()
        self.tool_changed.emit(tool)

    def _update_cursor(self) -> None:
        if self._space_down:
            shape = Qt.CursorShape.OpenHandCursor
        elif self._tool == Tool.SELECT:
            shape = Qt.CursorShape.ArrowCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.viewport().setCursor(QCursor(shape))

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
        vw = max(50, self.viewport().width() - 24)
        vh = max(50, self.viewport().height() - 24)
        zoom = vw / w if self._fit_mode == "width" else min(vw / w, vh / h)
        self.set_zoom(zoom, keep_fit=True)
        if self._fit_mode == "width":
            top = self.mapToScene(self.viewport().rect().center())
            self.centerOn(QPointF(self._page_size[0] / 2, top.y()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refit()

    # -- mouse and keys --------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(1.15**steps)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self._update_cursor()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.edit_requested.emit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self._drawing is not None:
            self._cancel_drawing()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self._pan_from = None
            self._update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _start_pan(self, event: QMouseEvent) -> None:
        self._pan_from = event.position()
        self.viewport().setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_down
        ):
            self._start_pan(event)
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton or not self.has_page:
            super().mousePressEvent(event)
            return
        if self.is_read_only:
            hit = self._region_at(event)
            self.region_clicked.emit(hit.region_id) if hit is not None else self.selection_emptied.emit()
            event.accept()
            return
        scene_pt = self.mapToScene(event.position().toPoint())
        if any(isinstance(it, CornerHandle) and it.isVisible() for it in self.items(event.position().toPoint())):
            super().mousePressEvent(event)  # a corner handle of the selected region: reshape
            return
        hit = self._region_at(event)
        # Drawing tools draw, even from inside a region: only a handle, Alt or the Select tool move one.
        if hit is not None and (self._tool == Tool.SELECT or event.modifiers() & Qt.KeyboardModifier.AltModifier):
            super().mousePressEvent(event)  # select / start moving
            self.region_clicked.emit(hit.region_id)
            return
        if self._tool == Tool.SELECT:
            super().mousePressEvent(event)
            if hit is None:
                self.selection_emptied.emit()
            return
        self._press_hit = hit.region_id if hit is not None else None
        self._drawing = [scene_pt]
        self._rubber = self._scene.addPolygon(
            QPolygonF([scene_pt]), self._rubber_pen(), QBrush(QColor(59, 130, 246, 40))
        )
        self._rubber.setZValue(20)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self._region_at(event) if event.button() == Qt.MouseButton.LeftButton else None
        if hit is None:
            super().mouseDoubleClickEvent(event)
            return
        self._cancel_drawing()
        self.region_clicked.emit(hit.region_id)
        self.edit_requested.emit()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        if self._drawing is not None and self._rubber is not None:
            pt = self.mapToScene(event.position().toPoint())
            if self._tool == Tool.RECT:
                self._drawing = [self._drawing[0], pt]
                self._rubber.setPolygon(QPolygonF(_rect_points(self._drawing[0], pt)))
            else:
                last = self._drawing[-1]
                if (pt - last).manhattanLength() * self._zoom >= 3:
                    self._drawing.append(pt)
                    self._rubber.setPolygon(QPolygonF(self._drawing))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
            event.accept()
            return
        if self._drawing is not None and event.button() == Qt.MouseButton.LeftButton:
            pts = self._drawing
            end = self.mapToScene(event.position().toPoint())
            self._cancel_drawing()
            poly = _rect_points(pts[0], end) if self._tool == Tool.RECT else [*pts, end]
            if _view_area(self, poly) < 36:  # a click, not a drawing: select what is under it
                if self._press_hit:
                    self.region_clicked.emit(self._press_hit)
                else:
                    self.selection_emptied.emit()
            else:
                self.draw_polygon([(p.x(), p.y()) for p in poly])
            event.accept()
            return
        super().mouseReleaseEvent(event)
        for item in self._items.values():
            if not item.pos().isNull():
                self.region_moved.emit(item.region_id, item.moved_polygon())

    def _cancel_drawing(self) -> None:
        if self._rubber is not None:
            self._scene.removeItem(self._rubber)
        self._drawing, self._rubber = None, None

    def _region_at(self, event: QMouseEvent) -> RegionItem | None:
        for item in self.items(event.position().toPoint()):
            if isinstance(item, RegionItem):
                return item
        return None

    @staticmethod
    def _rubber_pen() -> QPen:
        pen = QPen(QColor("#2563eb"), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        return pen


def _rect_points(a: QPointF, b: QPointF) -> list[QPointF]:
    x0, x1 = sorted((a.x(), b.x()))
    y0, y1 = sorted((a.y(), b.y()))
    return [QPointF(x0, y0), QPointF(x1, y0), QPointF(x1, y1), QPointF(x0, y1)]


def _view_area(view: QGraphicsView, poly: Sequence[QPointF]) -> float:
    pts = [view.mapFromScene(p) for p in poly]
    if len(pts) < 3:
        return 0.0
    twice = sum(a.x() * b.y() - b.x() * a.y() for a, b in zip(pts, pts[1:] + pts[:1]))
    return abs(twice) / 2
