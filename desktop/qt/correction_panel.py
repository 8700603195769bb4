"""The right-hand dock: the region list, the current region's crop above the editor."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.regions import Region, RegionStatus
from desktop.core.review import align_confidences, is_editable, is_unreadable, needs_review, typed_over_guess
from desktop.qt.crop_preview import WordCrop, compose_words, wrap_crop
from desktop.qt.editor import CorrectionEditor
from desktop.qt.page_view import STATUS_COLOURS

__all__ = [
    "STATUS_LABELS",
    "UNREADABLE_LABEL",
    "CorrectionPanel",
    "confidence_summary",
    "legend_html",
    "unreadable_summary",
]

STATUS_LABELS = {
    RegionStatus.PENDING: "Pending",
    RegionStatus.RECOGNIZING: "Reading…",
    RegionStatus.READ: "Read",
    RegionStatus.CORRECTED: "Corrected",
    RegionStatus.VERIFIED: "Verified",
    RegionStatus.FAILED: "Failed",
}

#: What the panel, the list and the page say of a region the model could not read.
UNREADABLE_LABEL = "Unreadable \u2014 type it"
UNREADABLE_COLOUR = QColor("#be185d")  # not the violet of Corrected: this one still needs typing


def legend_html() -> str:
    """The key to the page and the list: each status colour by name, and the doubt mark."""
    shown = (RegionStatus.READ, RegionStatus.CORRECTED, RegionStatus.VERIFIED, RegionStatus.FAILED)
    dots = " ".join(
        f'<span style="color:{STATUS_COLOURS[s].name()}">\u25cf</span>&nbsp;{STATUS_LABELS[s]}' for s in shown
    )
    return (
        f"{dots} &nbsp;·&nbsp; \u2691 / <b><u>bold wavy</u></b> = doubtful: check against the image"
        f" &nbsp;·&nbsp; \u26a0 {UNREADABLE_LABEL}: the model could not read it"
    )


def confidence_summary(region: Region, threshold: float) -> str:
    """ "Lowest confidence 42% · 3 doubtful characters" for a region read by the model ("" otherwise):
    of its text as it stands, so the count is the editor's marks (characters a person typed are
    certain); the model's own lowest is said beside a corrected text's."""
    if not region.confidences:
        return ""
    now = align_confidences(region.model_text, region.confidences, region.text)
    doubtful = sum(c < threshold for c in now)
    tail = f" · {doubtful} doubtful character{'s' if doubtful != 1 else ''}" if doubtful else ""
    model = math.floor(region.min_confidence * 100)
    if region.text == region.model_text:
        return f"Lowest confidence {model}%{tail} (hover a character for its own)"
    lowest = math.floor(min(now, default=1.0) * 100)
    return f"Lowest confidence {lowest}% (the model's reading: {model}%){tail}"


TYPED_SUMMARY = "Typed by the reviewer: the model could not read this region"


def unreadable_summary(region: Region, floor: float = 0.0) -> str:
    """What the panel says of a region the model could not read: its guess's mean confidence, and
    the mean a reading needs (``floor``, the setting; a single unsure character does not make a
    region unreadable, a guess unsure throughout does)."""
    chars = [c for ch, c in zip(region.model_text, region.confidences, strict=False) if not ch.isspace()]
    mean = math.floor(100 * sum(chars) / len(chars)) if chars else 0
    needs = f"; a reading needs {math.floor(100 * floor)}% on average" if floor > 0 else ""
    return f"{UNREADABLE_LABEL}: the model could not read it (its guess averaged {mean}% confidence{needs})"


def _dot(colour: QColor) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(colour)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(1, 1, 10, 10)
    p.end()
    return QIcon(pix)


class CorrectionPanel(QWidget):
    """Shows core state; user intent leaves as signals (the window turns them into commands)."""

    region_activated = Signal(str)
    move_requested = Signal(int)  # -1: the current region one place up in the page's order, +1: down

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(340)
        self._ids: list[str] = []
        self._rows: list[tuple[RegionStatus, str] | None] = []  # what each list row shows
        self._low: set[str] = set()
        self._unreadable: set[str] = set()
        self._guess: tuple[str, tuple[float, ...]] = ("", ())
        self.list_menu: QMenu | None = None
        self._icons = {status: _dot(colour) for status, colour in STATUS_COLOURS.items()}

        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        self.list.setAlternatingRowColors(True)
        self.list.setIconSize(QSize(12, 12))
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(False)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_list_menu)
        self.up_button, self.down_button = QPushButton("\u25b2 Move up"), QPushButton("\u25bc Move down")
        order = QHBoxLayout()
        order.setContentsMargins(0, 0, 0, 0)
        for button, delta, keys in ((self.up_button, -1, "Alt+Up"), (self.down_button, +1, "Alt+Down")):
            button.setToolTip(f"Move the selected region {'up' if delta < 0 else 'down'} in reading order ({keys})")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, delta=delta: self.move_requested.emit(delta))
            order.addWidget(button)
        order.addStretch(1)
        listing = QWidget()
        listing_lay = QVBoxLayout(listing)
        listing_lay.setContentsMargins(0, 0, 0, 0)
        listing_lay.addWidget(self.list, 1)
        listing_lay.addLayout(order)

        self.title = QLabel("No region selected")
        self.title.setObjectName("panelTitle")
        self.status_label = QLabel("")
        self.status_label.setObjectName("statusChip")
        self.status_label.hide()  # shown with a region: never an empty badge
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.status_label)

        self.crop = QLabel()
        self.crop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.crop.setObjectName("cropView")
        self.crop.setMinimumHeight(70)
        self.crop.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._crop_pixmap: QPixmap | None = None
        self.crop_words: tuple[WordCrop, ...] = ()  # the words shown, each with the pixels it was read from

        self.editor = CorrectionEditor()
        self.editor.setEnabled(False)
        font = self.editor.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.editor.setFont(font)
        self._placeholder = self.editor.placeholderText()
        self.confidence_label = QLabel("")
        self.confidence_label.setObjectName("confidenceLabel")
        self.confidence_label.setWordWrap(True)
        self.guess_button = QPushButton("Show the model's guess")
        self.guess_button.setToolTip("Put the model's unsure reading in the editor, to correct it")
        self.guess_button.clicked.connect(self.show_guess)
        self.guess_button.hide()
        self.legend = QLabel(legend_html())
        self.legend.setObjectName("legendLabel")
        self.legend.setWordWrap(True)
        self.legend.setToolTip("Outline colours on the page and dots in the list; \u2691 marks doubtful text")
        self.hint = QLabel("Enter accept · Ctrl+Enter verify · Tab next · F8 next doubtful · F1 all keys")
        self.hint.setObjectName("hintLabel")
        self.hint.setWordWrap(True)

        current = QWidget()
        lay = QVBoxLayout(current)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.setSpacing(6)
        lay.addLayout(head)
        lay.addWidget(self.crop, 2)
        lay.addWidget(self.confidence_label)
        lay.addWidget(self.guess_button)
        lay.addWidget(self.editor, 3)
        lay.addWidget(self.legend)
        lay.addWidget(self.hint)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(listing)
        splitter.addWidget(current)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 8)
        outer.addWidget(splitter)

    # -- list --------------------------------------------------------------------------
    def set_regions(
        self,
        regions: Sequence[Region],
        threshold: float,
        current_id: str | None,
        *,
        first_number: int = 1,
        unreadable_below: float = 0.0,
        doubtful: Callable[[Region], bool] | None = None,
    ) -> None:
        """List the page's regions, numbered from ``first_number`` (their place in the whole document);
        those unreadable by ``unreadable_below`` say so instead of showing the model's junk. ``doubtful``
        says which get the ⚑ (default: a character under ``threshold``)."""
        blocked = self.list.blockSignals(True)
        ids = [r.id for r in regions]
        self._low = {r.id for r in regions if (doubtful(r) if doubtful else needs_review(r, threshold))}
        self._unreadable = {r.id for r in regions if is_unreadable(r, unreadable_below)}
        rows = [(r.status, self._row_text(n, r)) for n, r in enumerate(regions, first_number)]
        if ids != self._ids or self.list.count() != len(ids):  # regions came or went, or moved: list anew
            self.list.clear()
            self._rows = [None] * len(ids)
            for r in regions:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                self.list.addItem(item)
        self._ids = ids
        for row, (status, text) in enumerate(rows):
            if self._rows[row] != (status, text):  # after a change most rows are as they were
                item = self.list.item(row)
                item.setIcon(self._icons.get(status, QIcon()))
                item.setText(text)
                item.setToolTip(STATUS_LABELS.get(status, status.value))
        self._rows = list(rows)
        if current_id in self._ids:
            self.list.setCurrentRow(self._ids.index(current_id))
        self.list.blockSignals(blocked)
        self._enable_moves(current_id)

    def _enable_moves(self, region_id: str | None) -> None:
        row = self._ids.index(region_id) if region_id in self._ids else -1
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self._ids) - 1)

    def _row_text(self, n: int, r: Region) -> str:
        if r.status == RegionStatus.FAILED:
            body = f"failed: {r.error}" if r.error else "failed"
        elif r.status in (RegionStatus.PENDING, RegionStatus.RECOGNIZING):
            body = STATUS_LABELS[r.status]
        elif r.id in self._unreadable:
            return f"{n:>2}  \u26a0 {UNREADABLE_LABEL}"
        else:
            body = r.text.replace("\n", " ⏎ ") or "(nothing read)"
        flag = "⚑ " if r.id in self._low else ""
        return f"{n:>2}  {flag}{body[:120]}"

    @property
    def region_ids(self) -> list[str]:
        return list(self._ids)

    def _on_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._ids):
            self.region_activated.emit(self._ids[row])

    def _show_list_menu(self, pos: QPoint) -> None:
        """Right-click on a row: select its region and offer to move it up or down the order."""
        item = self.list.itemAt(pos)
        if item is None:
            return
        row = self.list.row(item)
        self.list.setCurrentRow(row)
        menu = QMenu(self.list)
        up, down = menu.addAction("Move up (Alt+Up)"), menu.addAction("Move down (Alt+Down)")
        up.setEnabled(row > 0)
        down.setEnabled(row < len(self._ids) - 1)
        up.triggered.connect(lambda: self.move_requested.emit(-1))
        down.triggered.connect(lambda: self.move_requested.emit(+1))
        menu.popup(self.list.viewport().mapToGlobal(pos))
        self.list_menu = menu  # kept (and reachable by tests) while it is open

    # -- current region ------------------------------------------------------------------
    def show_region(
        self,
        region: Region | None,
        crop: QPixmap | None,
        threshold: float,
        *,
        index: int = 0,
        total: int = 0,
        keep_text: bool = False,
        is_unreadable: bool = False,
        unreadable_below: float = 0.0,
        words: Sequence[WordCrop] = (),
    ) -> None:
        """Show one region; ``keep_text`` leaves an edit in progress alone (a status change only).

        The preview shows ``words`` (each word's pixels with its text) when the model read words,
        else ``crop`` (the outline's box).

        ``is_unreadable``: the model could not read it; the editor starts empty with a prompt to
        type the text, and the model's guess is shown only on request (:meth:`show_guess`).
        ``unreadable_below``: the mean confidence a reading needs (said beside an unreadable one's);
        text a person typed over such a guess carries none of its marks (``typed_over_guess``).
        """
        self._enable_moves(region.id if region is not None else None)
        if region is None:
            self.title.setText("No region selected")
            self.status_label.setText("")
            self.status_label.hide()
            self.confidence_label.setText("")
            self._crop_pixmap, self.crop_words = None, ()
            self.crop.clear()
            self.editor.setEnabled(False)
            self.editor.setPlainText("")
            self.editor.highlighter.set_reading("", (), threshold)
            self.editor.setPlaceholderText(self._placeholder)
            self.guess_button.hide()
            return
        of = f" of {total}" if total else ""
        self.title.setText(f"Region {index}{of} · page {region.page + 1}")
        self.status_label.setText(UNREADABLE_LABEL if is_unreadable else STATUS_LABELS.get(region.status, ""))
        colour = UNREADABLE_COLOUR if is_unreadable else STATUS_COLOURS.get(region.status, QColor("#888"))
        self.status_label.setStyleSheet(f"background:{colour.name()};color:white;border-radius:8px;padding:1px 8px;")
        self.status_label.show()
        typed = typed_over_guess(region, unreadable_below)
        if is_unreadable:
            summary = unreadable_summary(region, unreadable_below)
        else:
            summary = TYPED_SUMMARY if typed else confidence_summary(region, threshold)
        self.confidence_label.setText(summary)
        self._guess = (region.model_text, tuple(region.confidences))
        self.guess_button.setVisible(is_unreadable)
        self.editor.setPlaceholderText(
            "The model could not read this region: type the text you see in the image." if is_unreadable else ""
        )
        self._crop_pixmap, self.crop_words = crop, tuple(words)
        self._fit_crop()
        self.editor.setEnabled(is_editable(region))
        if not keep_text and is_unreadable:  # its junk is not presented as the reading
            self.editor.setPlainText("")
            self.editor.highlighter.set_reading("", (), threshold)
            self.editor.document().setModified(False)
        elif not keep_text:
            self.editor.setPlainText(region.text)
            reading = ("", ()) if typed else (region.model_text, region.confidences)
            self.editor.highlighter.set_reading(*reading, threshold)
            self.editor.document().setModified(False)
        row = self.list.currentRow()
        if (row < 0 or self._ids[row] != region.id) and region.id in self._ids:
            blocked = self.list.blockSignals(True)
            self.list.setCurrentRow(self._ids.index(region.id))
            self.list.blockSignals(blocked)

    def show_guess(self) -> None:
        """Put the model's reading of an unreadable region in the editor, marked, to correct it."""
        text, confidences = self._guess
        self.editor.highlighter.set_reading(text, confidences, self.editor.highlighter.threshold)
        self.editor.setPlainText(text)
        self.editor.document().setModified(True)
        self.guess_button.hide()
        self.editor.setFocus()

    def _fit_crop(self) -> None:
        size = self.crop.size()
        if self.crop_words:
            self.crop.setPixmap(compose_words(self.crop_words, size.width() - 8, size.height() - 8, self.crop.font()))
        elif self._crop_pixmap is None or self._crop_pixmap.isNull():
            self.crop.clear()
        else:
            self.crop.setPixmap(wrap_crop(self._crop_pixmap, size.width() - 8, size.height() - 8))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_crop()

    @property
    def edited_text(self) -> str:
        return self.editor.toPlainText()
