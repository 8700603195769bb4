"""The crop above the editor: exactly the pixels that were read, word by word, with the text read.

With the model's words (text and box in page pixels) each word's own box is cut from the page and
laid out like text, its text beneath it, a new row for each line the model read: nothing of the
neighbouring lines, and a junk reading cannot hide behind a clean picture. A region without words
(nothing read yet, or read before words were kept) falls back to its outline's box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap, QTransform

from desktop.core.regions import Region

__all__ = ["CROP_ROW_GAP", "MAX_CROP_ROWS", "WordCrop", "compose_words", "review_crop", "word_crops", "wrap_crop"]

MAX_CROP_ROWS = 4
CROP_ROW_GAP = 6
WORD_GAP = 10
WORD_PAD = 2  # pixels of paper kept round a word's box


@dataclass(frozen=True, slots=True)
class WordCrop:
    """One word as read: its pixels (upright), its text ("" when it is not to be shown), its line."""

    pixmap: QPixmap
    text: str
    line: int
    rect: QRect  # the page pixels cut


def _upright(pixmap: QPixmap, rotation: int) -> QPixmap:
    return pixmap.transformed(QTransform().rotate(rotation)) if rotation else pixmap


def word_crops(page: QImage, region: Region, *, with_text: bool = True) -> list[WordCrop]:
    """Each word the model read in ``region``: its box cut from ``page`` (upright like the reading)
    with its text, numbered by the line it was read in. Returns [] when the region has no words."""
    across = 1 if region.rotation in (0, 180) else 0  # the page axis that runs across the lines
    out: list[WordCrop] = []
    line, prev = 0, None
    for text, box in region.words:
        x0, y0, x1, y1 = (int(v) for v in box)
        if prev is not None:
            centre = (box[across] + box[across + 2]) / 2
            if not prev[across] <= centre <= prev[across + 2]:
                line += 1
        prev = box
        rect = QRect(x0 - WORD_PAD, y0 - WORD_PAD, x1 - x0 + 2 * WORD_PAD, y1 - y0 + 2 * WORD_PAD).intersected(
            page.rect()
        )
        if rect.isEmpty():
            continue
        pix = _upright(QPixmap.fromImage(page.copy(rect)), region.rotation)
        out.append(WordCrop(pix, text if with_text else "", line, rect))
    return out


def _layout(
    words: Sequence[WordCrop], width: int, scale: float, fm: QFontMetrics
) -> tuple[list[tuple[int, int, int, int]], int, int]:
    """Cells (x, y, cell width, crop height) at ``scale``, flowing like text; and the sheet's size."""
    cells, x, y, row_h, sheet_w = [], 0, 0, 0, 0
    label_h = fm.height() if any(w.text for w in words) else 0
    prev_line = words[0].line if words else 0
    for w in words:
        cw = max(1, round(w.pixmap.width() * scale))
        ch = max(1, round(w.pixmap.height() * scale))
        cell_w = max(cw, fm.horizontalAdvance(w.text))
        if x and (w.line != prev_line or x + cell_w > width):
            x, y, row_h = 0, y + row_h + CROP_ROW_GAP, 0
        prev_line = w.line
        cells.append((x, y, cell_w, ch))
        row_h = max(row_h, ch + label_h)
        sheet_w = max(sheet_w, x + cell_w)
        x += cell_w + WORD_GAP
    return cells, sheet_w, y + row_h


def compose_words(words: Sequence[WordCrop], width: int, height: int, font: QFont) -> QPixmap:
    """Lay ``words`` out like text in ``width`` x ``height``: each crop with its text beneath it, a
    new row for each line read and wherever the width runs out; the largest scale (at most 2x) that
    fits, and the smallest tried (0.2x) if none does."""
    fm = QFontMetrics(font)
    widest = max(w.pixmap.width() for w in words)
    scale = min(2.0, max(1, width) / max(1, widest))
    cells, sheet_w, sheet_h = _layout(words, width, scale, fm)
    while sheet_h > height and scale > 0.2:
        scale *= 0.9
        cells, sheet_w, sheet_h = _layout(words, width, scale, fm)
    out = QPixmap(max(1, sheet_w), max(1, sheet_h))
    out.fill(QColor("transparent"))
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.setFont(font)
    for w, (x, y, cell_w, ch) in zip(words, cells, strict=True):
        cw = round(w.pixmap.width() * scale)
        painter.drawPixmap(x + (cell_w - cw) // 2, y, cw, ch, w.pixmap)
        if w.text:
            painter.drawText(QRect(x, y + ch, cell_w, fm.height()), Qt.AlignmentFlag.AlignCenter, w.text)
    painter.end()
    return out


def review_crop(page: QImage, region: Region) -> QPixmap:
    """The region's outline box cut from the page (with a small margin), upright like the reading:
    what the preview shows of a region without words."""
    x0, y0, x1, y1 = region.bbox
    pad = 6
    rect = QRect(int(x0) - pad, int(y0) - pad, int(x1 - x0) + 2 * pad, int(y1 - y0) + 2 * pad)
    return _upright(QPixmap.fromImage(page.copy(rect.intersected(page.rect()))), region.rotation)


def wrap_crop(crop: QPixmap, width: int, height: int) -> QPixmap:
    """Fit a crop into width x height, wrapping a long line into up to 4 rows like text.

    A lassoed line is often 15-20 times wider than tall; shrunk to the dock's width it would be
    unreadable, so it is cut into k stacked pieces, k chosen for the largest scale. Small crops
    are not blown up beyond 2x.
    """
    w, h = crop.width(), crop.height()
    if width < 8 or height < 8:
        return crop

    def overlap(k: int) -> int:  # repeat a little at each cut so a word split there reads whole
        return 0 if k == 1 else min(h // 2, w // (2 * k))

    def scale_for(k: int) -> float:
        return min(width / (-(-w // k) + overlap(k)), (height - CROP_ROW_GAP * (k - 1)) / (k * h), 2.0)

    rows = max(range(1, MAX_CROP_ROWS + 1), key=lambda k: (round(scale_for(k), 3), -k))
    scale = scale_for(rows)
    if rows == 1:
        return crop.scaled(
            max(1, round(w * scale)),
            max(1, round(h * scale)),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    piece_w, extra = -(-w // rows), overlap(rows)
    row_h = round(h * scale)
    out = QPixmap(max(1, round((piece_w + extra) * scale)), row_h * rows + CROP_ROW_GAP * (rows - 1))
    out.fill(QColor("transparent"))
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    for i in range(rows):
        x0 = max(0, i * piece_w - (extra if i else 0))
        x1 = min(w, (i + 1) * piece_w)
        target_w = round((x1 - x0) * scale)
        painter.drawPixmap(0, i * (row_h + CROP_ROW_GAP), target_w, row_h, crop, x0, 0, x1 - x0, h)
    painter.end()
    return out
