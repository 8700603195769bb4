"""Region overlays on the page: outlines coloured by status, selectable and movable, with a handle on
each point of the outline, and the recogniser's word boxes (one lit from the editor, each with the
model's confidence when asked)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QMenu,
    QStyle,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.core.regions import Region, RegionStatus
from desktop.core.word_links import PageWord, page_words
from inference.geometry import Point

__all__ = ["STATUS_COLOURS", "ConfidenceLabel", "RegionItem", "VertexHandle", "WordBox"]

#: status -> outline colour; the fill is the same colour, translucent.
STATUS_COLOURS: dict[RegionStatus, QColor] = {
    RegionStatus.PENDING: QColor("#8a8f98"),
    RegionStatus.RECOGNIZING: QColor("#3b82f6"),
    RegionStatus.READ: QColor("#d97706"),
    RegionStatus.CORRECTED: QColor("#7c3aed"),
    RegionStatus.VERIFIED: QColor("#16a34a"),
    RegionStatus.FAILED: QColor("#dc2626"),
}

HANDLE_SIZE = 9  # screen pixels, at any zoom
MIN_POINTS = 3
LIT_PEN, LIT_FILL = QColor("#1d4ed8"), QColor(250, 204, 21, 110)  # the word under the editor's caret
DOUBT_INK = QColor("#9a3412")


def _cosmetic(colour: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(colour, width, style)
    pen.setCosmetic(True)
    return pen


class VertexHandle(QGraphicsRectItem):
    """One point of a selected region's outline: drag it to move that point; right-click to delete it."""

    def __init__(self, owner: RegionItem, index: int) -> None:
        super().__init__(-HANDLE_SIZE / 2, -HANDLE_SIZE / 2, HANDLE_SIZE, HANDLE_SIZE, owner)
        self.owner, self.index = owner, index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setPen(_cosmetic(QColor("#1f2937"), 1.2))
        self.set_current(False)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setZValue(30)

    def set_current(self, current: bool) -> None:
        """The point last grabbed is filled dark: Backspace deletes it."""
        self.setBrush(QColor("#1f2937") if current else QColor("white"))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.owner.begin_reshape(self.index)
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.move_vertex(self.index, event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.end_reshape()

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        menu = QMenu()
        delete = menu.addAction("Delete point (Backspace)")
        delete.setEnabled(len(self.owner.handles) > MIN_POINTS)
        if menu.exec(event.screenPos()) is delete:
            self.owner.delete_vertex(self.index)
        event.accept()


class ConfidenceLabel(QGraphicsItem):
    """A word's confidence as a figure ("87%"; "⚑41%" when doubtful) drawn just above its box, the
    same size at every zoom: the figure and the flag carry the meaning, the colour only helps."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(26)
        self.text, self.ink = "", QColor("#1f2937")
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._font.setBold(True)

    def set_text(self, text: str, ink: QColor) -> None:
        self.prepareGeometryChange()
        self.text, self.ink = text, ink

    def boundingRect(self) -> QRectF:
        metrics = QFontMetricsF(self._font)
        return QRectF(0, -metrics.height() - 1, metrics.horizontalAdvance(self.text) + 4, metrics.height() + 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self.boundingRect()
        painter.fillRect(rect, QColor(255, 255, 255, 215))
        painter.setFont(self._font)
        painter.setPen(self.ink)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.text)


class WordBox(QGraphicsRectItem):
    """One word the recogniser read: hidden unless lit (the editor's caret is on it) or labelled."""

    def __init__(self, word: PageWord, parent: QGraphicsItem) -> None:
        x0, y0, x1, y1 = word.box
        super().__init__(QRectF(x0, y0, x1 - x0, y1 - y0), parent)
        self.word = word
        self.setZValue(12)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to the region (the view reads them)
        self.label = ConfidenceLabel(self)
        self.label.setPos(x0, y0)
        self.is_lit = self.is_labelled = False
        self.threshold = 0.6
        self._shown: tuple[bool, bool, float] | None = None  # what show_state last drew

    @property
    def is_doubtful(self) -> bool:
        return self.word.confidence is not None and self.word.confidence < self.threshold

    def show_state(self, *, lit: bool, labelled: bool, threshold: float) -> None:
        if self._shown == (lit, labelled, threshold):
            return  # every region's words are asked again after each change: most have not changed
        self._shown = (lit, labelled, threshold)
        self.is_lit, self.is_labelled, self.threshold = lit, labelled and self.word.confidence is not None, threshold
        doubt = self.is_doubtful
        if lit:
            self.setPen(_cosmetic(LIT_PEN, 2.5))
            self.setBrush(QBrush(LIT_FILL))
        else:
            self.setPen(_cosmetic(DOUBT_INK if doubt else QColor("#475569"), 1.2, Qt.PenStyle.DashLine))
            self.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        if self.word.confidence is not None:
            figure = f"{math.floor(self.word.confidence * 100)}%"
            self.label.set_text(f"\u2691{figure}" if doubt else figure, DOUBT_INK if doubt else QColor("#1f2937"))
        self.label.setVisible(self.is_labelled)
        self.setVisible(lit or self.is_labelled)


class RegionItem(QGraphicsPolygonItem):
    """One region's outline, coloured by status; selectable, movable, and reshaped point by point."""

    def __init__(self, region: Region, on_reshaped: Callable[[str, list[Point]], None] | None = None) -> None:
        super().__init__()
        self.region_id = region.id
        self._on_reshaped = on_reshaped
        self._reshape_from: list[Point] | None = None
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setZValue(10)
        self.handles: list[VertexHandle] = []
        self.current_vertex: int | None = None
        self.words: list[WordBox] = []
        self.lit_word: int | None = None
        self.is_showing_confidence, self.threshold = False, 0.6
        self.is_flagged = False
        self._flag = QGraphicsSimpleTextItem("\u2691?", self)  # doubt shown by a sign, not by colour alone
        self._flag.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self._flag.setBrush(QColor("#b45309"))
        self._flag.setZValue(25)
        self._flag.hide()
        self.update_region(region)

    def set_flagged(self, flagged: bool) -> None:
        """Show the doubt flag (\u2691?) at the region's top-right corner while its text needs review."""
        self.is_flagged = flagged
        self._flag.setVisible(flagged)

    def update_region(self, region: Region) -> None:
        self.status = region.status
        self.setPos(0, 0)
        self.setPolygon(QPolygonF([QPointF(x, y) for x, y in region.polygon]))
        self._apply_style()
        self._place_handles()
        for box in self.words:
            _drop(box)
        self.words = [WordBox(w, self) for w in page_words(region)]
        self._show_words()

    # -- words -------------------------------------------------------------------------
    def light_word(self, index: int | None) -> None:
        """Light the word box ``index`` (the editor's caret is on that word); None: none."""
        self.lit_word = index
        self._show_words()

    def show_confidence(self, shown: bool, threshold: float) -> None:
        """Label each word box with the model's confidence in it."""
        self.is_showing_confidence, self.threshold = shown, threshold
        self._show_words()

    def _show_words(self) -> None:
        for i, box in enumerate(self.words):
            box.show_state(lit=i == self.lit_word, labelled=self.is_showing_confidence, threshold=self.threshold)

    def word_index_at(self, scene_pt: QPointF, margin: float = 2.0) -> int | None:
        """The word whose box holds ``scene_pt`` (page pixels), or None."""
        local = self.mapFromScene(scene_pt)
        for i, box in enumerate(self.words):
            if box.rect().adjusted(-margin, -margin, margin, margin).contains(local):
                return i
        return None

    # -- points ------------------------------------------------------------------------
    def points(self) -> list[Point]:
        return [(p.x(), p.y()) for p in self.polygon().toList()]

    def _place_handles(self) -> None:
        pts = self.polygon().toList()
        r = self.polygon().boundingRect()
        self._flag.setPos(r.topRight() + QPointF(3, 0))
        while len(self.handles) > len(pts):
            _drop(self.handles.pop())
        self.handles += [VertexHandle(self, i) for i in range(len(self.handles), len(pts))]
        if self.current_vertex is not None and self.current_vertex >= len(pts):
            self.current_vertex = None
        for h, pt in zip(self.handles, pts):
            h.setPos(pt)
            h.set_current(h.index == self.current_vertex)
            h.setVisible(self.isSelected())

    def begin_reshape(self, index: int) -> None:
        self._reshape_from = self.points()
        self.current_vertex = index
        self._place_handles()

    def move_vertex(self, index: int, scene_pt: QPointF) -> None:
        """Move one point of the outline to ``scene_pt`` while its handle is dragged; the others stay."""
        if self._reshape_from is None or not 0 <= index < len(self._reshape_from):
            return
        pts = self.polygon().toList()
        pts[index] = self.mapFromScene(scene_pt)
        self.setPolygon(QPolygonF(pts))
        self._place_handles()

    def end_reshape(self) -> None:
        if self._reshape_from is None:
            return
        changed = self.points() != self._reshape_from
        self._reshape_from = None
        if changed:
            self._reshaped()

    def insert_vertex(self, scene_pt: QPointF, tolerance: float) -> bool:
        """Add a point on the edge within ``tolerance`` (page pixels) of ``scene_pt``; False if none is."""
        local = self.mapFromScene(scene_pt)
        pts = self.polygon().toList()
        best, where = tolerance, None
        for i, a in enumerate(pts):
            d = _distance_to_segment(local, a, pts[(i + 1) % len(pts)])
            if d <= best:
                best, where = d, i + 1
        if where is None:
            return False
        pts.insert(where, local)
        self.setPolygon(QPolygonF(pts))
        self.current_vertex = where
        self._place_handles()
        self._reshaped()
        return True

    def delete_vertex(self, index: int | None = None) -> bool:
        """Remove point ``index`` (default: the point last grabbed); an outline keeps three points."""
        index = self.current_vertex if index is None else index
        pts = self.polygon().toList()
        if index is None or not 0 <= index < len(pts) or len(pts) <= MIN_POINTS:
            return False
        del pts[index]
        self.setPolygon(QPolygonF(pts))
        self.current_vertex = None
        self._place_handles()
        self._reshaped()
        return True

    def _reshaped(self) -> None:
        if self._on_reshaped is not None:
            self._on_reshaped(self.region_id, self.moved_polygon())

    # -- looks -------------------------------------------------------------------------
    def _apply_style(self) -> None:
        colour = QColor(STATUS_COLOURS.get(self.status, QColor("#888")))
        pen = _cosmetic(colour, 2.5 if self.isSelected() else 1.5)  # same width at every zoom
        if self.status == RegionStatus.RECOGNIZING:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        fill = QColor(colour)
        fill.setAlpha(60 if self.isSelected() else 28)
        self.setBrush(QBrush(fill))

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._apply_style()
            self._place_handles()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        # Selection is shown by a thicker outline and a stronger fill, not Qt's dashed box.
        option.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, option, widget)

    def moved_polygon(self) -> list[Point]:
        off = self.pos()
        return [(p.x() + off.x(), p.y() + off.y()) for p in self.polygon().toList()]


def _drop(item: QGraphicsItem) -> None:
    scene = item.scene()
    if scene is not None:
        scene.removeItem(item)  # and from its parent
    else:
        item.setParentItem(None)


def _distance_to_segment(p: QPointF, a: QPointF, b: QPointF) -> float:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0 if not length2 else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2))
    return math.hypot(p.x() - a.x() - t * dx, p.y() - a.y() - t * dy)


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Ramer-Douglas-Peucker: the points of an open path that keep it within ``tolerance``."""
    if len(points) < 3:
        return list(points)
    keep = {0, len(points) - 1}
    spans = [(0, len(points) - 1)]
    while spans:
        first, last = spans.pop()
        a, b = QPointF(*points[first]), QPointF(*points[last])
        far, worst = first, tolerance
        for i in range(first + 1, last):
            d = _distance_to_segment(QPointF(*points[i]), a, b)
            if d > worst:
                far, worst = i, d
        if far != first:
            keep.add(far)
            spans += [(first, far), (far, last)]
    return [points[i] for i in sorted(keep)]
