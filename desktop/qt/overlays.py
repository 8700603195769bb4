"""Region overlays on the page: outlines coloured by status, selectable, movable, stretchable by corners."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QStyle,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.core.regions import Region, RegionStatus
from inference.geometry import Point

__all__ = ["STATUS_COLOURS", "CornerHandle", "RegionItem"]

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


class CornerHandle(QGraphicsRectItem):
    """A corner of a selected region's box: dragging it stretches the outline from the opposite corner."""

    def __init__(self, owner: RegionItem, corner: int) -> None:
        super().__init__(-HANDLE_SIZE / 2, -HANDLE_SIZE / 2, HANDLE_SIZE, HANDLE_SIZE, owner)
        self.owner = owner
        self.corner = corner  # 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setBrush(QColor("white"))
        pen = QPen(QColor("#1f2937"), 1.2)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if corner in (0, 2) else Qt.CursorShape.SizeBDiagCursor)
        self.setZValue(30)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.begin_reshape()
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.reshape_to(self.corner, event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.end_reshape()


class RegionItem(QGraphicsPolygonItem):
    """One region's outline, coloured by status; selectable, movable, and stretchable by its corners."""

    def __init__(self, region: Region, on_reshaped: Callable[[str, list[Point]], None] | None = None) -> None:
        super().__init__()
        self.region_id = region.id
        self._on_reshaped = on_reshaped
        self._reshape_from: list[Point] | None = None
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setZValue(10)
        self.handles = [CornerHandle(self, c) for c in range(4)]
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

    def _place_handles(self) -> None:
        r = self.polygon().boundingRect()
        self._flag.setPos(r.topRight() + QPointF(3, 0))
        for h, pt in zip(self.handles, (r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft())):
            h.setPos(pt)
            h.setVisible(self.isSelected())

    def begin_reshape(self) -> None:
        self._reshape_from = [(p.x(), p.y()) for p in self.polygon().toList()]

    def reshape_to(self, corner: int, scene_pt: QPointF) -> None:
        if self._reshape_from is None:
            return
        pts = self._reshape_from
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
        local = self.mapFromScene(scene_pt)
        ax, ay = ((x1, y1), (x0, y1), (x0, y0), (x1, y0))[corner]  # the opposite corner stays put
        cx, cy = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))[corner]
        sx = (local.x() - ax) / (cx - ax) if cx != ax else 1.0
        sy = (local.y() - ay) / (cy - ay) if cy != ay else 1.0
        sx = sx if abs(sx * (cx - ax)) >= 4 else (4 / abs(cx - ax) if cx != ax else 1.0)
        sy = sy if abs(sy * (cy - ay)) >= 4 else (4 / abs(cy - ay) if cy != ay else 1.0)
        self.setPolygon(QPolygonF([QPointF(ax + (x - ax) * sx, ay + (y - ay) * sy) for x, y in pts]))
        self._place_handles()

    def end_reshape(self) -> None:
        if self._reshape_from is None:
            return
        changed = [(p.x(), p.y()) for p in self.polygon().toList()] != self._reshape_from
        self._reshape_from = None
        if changed and self._on_reshaped is not None:
            self._on_reshaped(self.region_id, self.moved_polygon())

    def _apply_style(self) -> None:
        colour = QColor(STATUS_COLOURS.get(self.status, QColor("#888")))
        pen = QPen(colour, 2.5 if self.isSelected() else 1.5)
        pen.setCosmetic(True)  # same width at every zoom
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
