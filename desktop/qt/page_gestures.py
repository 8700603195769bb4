"""What the mouse and keys do on the page: draw a lasso or a rectangle, pan, pick a region or a word,
and grab the points of a region's outline.

The page view hands its mouse and key events here; this module decides what a gesture means and
answers through the view's signals (``region_drawn``, ``region_clicked``, ``word_clicked``...). The
rule of the drawing tools: a drag draws a new region, even from inside another one; only a grabbed
point handle, Alt or the Select tool move or reshape a region.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QKeyEvent, QMouseEvent, QPen, QPolygonF, QWheelEvent
from PySide6.QtWidgets import QGraphicsPolygonItem, QGraphicsView

from desktop.qt.overlays import RegionItem, VertexHandle, simplify
from inference.geometry import Point

__all__ = ["PageGestures", "PageSurface", "Tool"]


class Tool:
    SELECT = "select"
    LASSO = "lasso"
    RECT = "rect"


SIMPLIFY_ABOVE = 24  # a hand-drawn lasso with more points than this is thinned (one handle a bend)
SIMPLIFY_PX = 1.5  # screen pixels a thinned lasso may stray from what was drawn
EDGE_PX = 6  # screen pixels from an outline within which a double click adds a point


class PageSurface(QGraphicsView):
    """What the gestures read of the page and the signals they answer through (PageView is one)."""

    region_drawn = Signal(list)  # [(x, y), ...] page pixels
    region_moved = Signal(str, list)  # region id, new polygon
    region_clicked = Signal(str)  # region id
    word_clicked = Signal(str, int)  # region id, index of the word in Region.words (after region_clicked)
    edit_requested = Signal()  # Enter or a double click: the reviewer wants to type in the region's text
    selection_emptied = Signal()
    is_read_only = False  # regions can be chosen, not drawn, moved or reshaped

    @property
    def tool(self) -> str:
        raise NotImplementedError

    @property
    def zoom(self) -> float:
        raise NotImplementedError

    @property
    def has_page(self) -> bool:
        raise NotImplementedError

    def zoom_by(self, factor: float) -> None:
        raise NotImplementedError

    def draw_polygon(self, points: Sequence[Point]) -> None:
        raise NotImplementedError

    def region_item(self, region_id: str) -> RegionItem | None:
        raise NotImplementedError

    def region_items(self) -> list[RegionItem]:
        raise NotImplementedError

    def selected_item(self) -> RegionItem | None:
        raise NotImplementedError


class PageGestures:
    """The state of a gesture under way (a drawing, a pan) and what each event means."""

    def __init__(self, view: PageSurface) -> None:
        self.view = view
        self.drawing: list[QPointF] | None = None
        self.rubber: QGraphicsPolygonItem | None = None
        self.pan_from: QPointF | None = None
        self.space_down = False
        self._press_hit: str | None = None
        self._press_at = QPointF()
        self._chosen_at_press: RegionItem | None = None  # a double click's first press may clear it

    # -- helpers -------------------------------------------------------------------------
    def _base(self) -> type[QGraphicsView]:
        return QGraphicsView  # Qt's own handling: the scene's items (select, move, a point handle)

    def region_at(self, event: QMouseEvent) -> RegionItem | None:
        for item in self.view.items(event.position().toPoint()):
            if isinstance(item, RegionItem):
                return item
        return None

    def _clicked(self, item: RegionItem, scene_pt: QPointF) -> None:
        """A click (not a drag) on a region: select it, and put the caret on the word clicked, if any."""
        self.view.region_clicked.emit(item.region_id)
        word = item.word_index_at(scene_pt)
        if word is not None:
            self.view.word_clicked.emit(item.region_id, word)

    def update_cursor(self) -> None:
        if self.space_down:
            shape = Qt.CursorShape.OpenHandCursor
        elif self.view.tool == Tool.SELECT:
            shape = Qt.CursorShape.ArrowCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.view.viewport().setCursor(QCursor(shape))

    def cancel_drawing(self) -> None:
        if self.rubber is not None and self.rubber.scene() is not None:
            self.view.scene().removeItem(self.rubber)
        self.drawing, self.rubber = None, None

    # -- mouse ---------------------------------------------------------------------------
    def wheel(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.view.zoom_by(1.15**steps)
            event.accept()
            return
        self._base().wheelEvent(self.view, event)

    def press(self, event: QMouseEvent) -> None:
        view, base = self.view, self._base()
        self._chosen_at_press = view.selected_item()
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self.space_down
        ):
            self.pan_from = event.position()
            view.viewport().setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton or not view.has_page:
            base.mousePressEvent(view, event)
            return
        scene_pt = view.mapToScene(event.position().toPoint())
        hit = self.region_at(event)
        if view.is_read_only:
            self._clicked(hit, scene_pt) if hit is not None else view.selection_emptied.emit()
            event.accept()
            return
        if any(isinstance(it, VertexHandle) and it.isVisible() for it in view.items(event.position().toPoint())):
            base.mousePressEvent(view, event)  # a point of the selected region's outline: move that point
            return
        # Drawing tools draw, even from inside a region: only a handle, Alt or the Select tool move one.
        if hit is not None and (view.tool == Tool.SELECT or event.modifiers() & Qt.KeyboardModifier.AltModifier):
            base.mousePressEvent(view, event)  # select / start moving
            self._clicked(hit, scene_pt)
            return
        if view.tool == Tool.SELECT:
            base.mousePressEvent(view, event)
            if hit is None:
                view.selection_emptied.emit()
            return
        self._press_hit, self._press_at = (hit.region_id if hit is not None else None), scene_pt
        self.drawing = [scene_pt]
        pen = QPen(QColor("#2563eb"), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.rubber = view.scene().addPolygon(QPolygonF([scene_pt]), pen, QBrush(QColor(59, 130, 246, 40)))
        self.rubber.setZValue(20)
        event.accept()

    def double_click(self, event: QMouseEvent) -> None:
        view = self.view
        hit = self.region_at(event) if event.button() == Qt.MouseButton.LeftButton else None
        scene_pt = view.mapToScene(event.position().toPoint())
        chosen = self._chosen_at_press or view.selected_item()
        editable = chosen is not None and chosen.scene() is not None and not view.is_read_only
        if editable and chosen is not None and chosen.insert_vertex(scene_pt, EDGE_PX / view.zoom):
            self.cancel_drawing()  # a double click on the selected outline's edge: a new point there
            view.region_clicked.emit(chosen.region_id)
            event.accept()
            return
        if hit is None:
            self._base().mouseDoubleClickEvent(view, event)
            return
        self.cancel_drawing()
        self._clicked(hit, scene_pt)  # the region, and the word double-clicked: editing starts on it
        view.edit_requested.emit()
        event.accept()

    def move(self, event: QMouseEvent) -> None:
        view = self.view
        if self.pan_from is not None:
            delta = event.position() - self.pan_from
            self.pan_from = event.position()
            view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() - int(delta.x()))
            view.verticalScrollBar().setValue(view.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        if self.drawing is not None and self.rubber is not None:
            pt = view.mapToScene(event.position().toPoint())
            if view.tool == Tool.RECT:
                self.drawing = [self.drawing[0], pt]
                self.rubber.setPolygon(QPolygonF(_rect_points(self.drawing[0], pt)))
            else:
                last = self.drawing[-1]
                if (pt - last).manhattanLength() * view.zoom >= 3:
                    self.drawing.append(pt)
                    self.rubber.setPolygon(QPolygonF(self.drawing))
            event.accept()
            return
        self._base().mouseMoveEvent(view, event)

    def release(self, event: QMouseEvent) -> None:
        view = self.view
        if self.pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self.pan_from = None
            self.update_cursor()
            event.accept()
            return
        if self.drawing is not None and event.button() == Qt.MouseButton.LeftButton:
            pts = self.drawing
            end = view.mapToScene(event.position().toPoint())
            self.cancel_drawing()
            if view.tool == Tool.RECT:
                poly = _rect_points(pts[0], end)
            else:  # the end, unless it is where the last point was (one handle a point)
                poly = [*pts, end] if (end - pts[-1]).manhattanLength() * view.zoom >= 3 else pts
            if _view_area(view, poly) < 36:  # a click, not a drawing: select what is under it
                item = view.region_item(self._press_hit or "")
                self._clicked(item, self._press_at) if item is not None else view.selection_emptied.emit()
            else:
                points = [(p.x(), p.y()) for p in poly]
                if len(points) > SIMPLIFY_ABOVE:
                    points = simplify(points, SIMPLIFY_PX / view.zoom)
                view.draw_polygon(points)
            event.accept()
            return
        self._base().mouseReleaseEvent(view, event)
        for item in view.region_items():
            if not item.pos().isNull():
                view.region_moved.emit(item.region_id, item.moved_polygon())

    # -- keys ----------------------------------------------------------------------------
    def key_press(self, event: QKeyEvent) -> bool:
        """True when the key meant something on the page (the view then accepts it)."""
        view, key = self.view, event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_down = True
            self.update_cursor()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            view.edit_requested.emit()
            return True
        if key == Qt.Key.Key_Escape and self.drawing is not None:
            self.cancel_drawing()
            return True
        chosen = view.selected_item()
        if key == Qt.Key.Key_Backspace and chosen is not None and not view.is_read_only:
            return chosen.delete_vertex()  # the point last grabbed; an outline keeps three points
        return False

    def key_release(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_down = False
            self.pan_from = None
            self.update_cursor()
            return True
        return False


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
