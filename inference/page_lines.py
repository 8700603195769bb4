"""Whole-page layout: the text lines of a page, as boxes in reading order, for "Read whole page".

The page's ink (:func:`inference.preprocess.ink_mask`, rules and specks dropped by
:func:`inference.layout.clean_ink`) is smeared a little so the glyphs of a paragraph join into
blocks; no smear bridges a gap wider than ``column_gap`` x the glyph height, so the columns of a
two-column form stay apart. Each block is split into text lines by the horizontal ink profile
(:func:`inference.layout.find_lines`, the same rule as inside a lasso), and each line again at
every gap wider than ``column_gap`` (a heading over two columns may have joined them). Lines are
returned in the session's reading order: rows top to bottom, side-by-side pieces left to right.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt

from inference import imageops
from inference.geometry import Box, Point
from inference.layout import LayoutOptions, clean_ink, find_lines
from inference.preprocess import GrayImage, ink_mask

__all__ = ["COLUMN_GAP", "find_line_boxes", "find_page_lines"]

COLUMN_GAP = 2.0  # x glyph height: a wider blank gap inside a row separates two line regions
SMEAR_UP = 0.3  # x glyph height: vertical smear that joins a line's dots and accents to it
PAD_Y, PAD_X = 0.15, 0.3  # x glyph height: margin round each line box
SPECK = 0.5  # x glyph height: a piece narrower and shorter than this is a speck, not a line


def _glyph_height(ink: npt.NDArray[np.bool_]) -> float:
    """The upper quartile of the component heights: a capital's height, robust to dots and specks."""
    n, _labels, stats = imageops.connected_components(ink)
    heights = stats[1:, imageops.CC_HEIGHT][stats[1:, imageops.CC_AREA] >= 3] if n > 1 else np.empty(0)
    return float(np.percentile(heights, 75)) if heights.size else 0.0


def _pieces(columns: npt.NDArray[np.bool_], max_gap: int) -> list[tuple[int, int]]:
    """[x0, x1) of inked stretches, joined across blank gaps no wider than ``max_gap``."""
    xs = np.flatnonzero(columns)
    if xs.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(xs) > max_gap + 1)
    starts = [int(xs[0]), *(int(xs[i + 1]) for i in breaks)]
    ends = [*(int(xs[i]) + 1 for i in breaks), int(xs[-1]) + 1]
    return list(zip(starts, ends))


def _reading_order(boxes: list[Box]) -> list[Box]:
    """Rows top to bottom (a box whose centre lies in the row's span joins it), each left to right."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        if rows:
            top, bottom = rows[-1][0][1], rows[-1][0][3]
            if top <= (box[1] + box[3]) / 2 <= bottom and box[1] <= (top + bottom) / 2 <= box[3]:
                rows[-1].append(box)
                continue
        rows.append([box])
    return [box for row in rows for box in sorted(row)]


def find_line_boxes(gray: GrayImage, *, column_gap: float = COLUMN_GAP) -> list[Box]:
    """Boxes (x0, y0, x1, y1), whole pixels of ``gray``, of each text line, in reading order.

    ``gray``: an upright page, dark text on light paper. A blank page gives [].
    """
    ink = clean_ink(ink_mask(gray))
    glyph = _glyph_height(ink)
    if glyph < 3:
        return []
    h, w = ink.shape
    gap = max(2, round(column_gap * glyph))
    blocks = imageops.dilate(ink.astype(np.uint8), gap, max(1, round(SMEAR_UP * glyph)))
    n, _labels, stats = imageops.connected_components(blocks > 0)
    opts = LayoutOptions()
    pad_x, pad_y, speck = round(PAD_X * glyph), round(PAD_Y * glyph), SPECK * glyph
    boxes: list[Box] = []
    for i in range(1, n):
        bx, by, bw, bh = (int(v) for v in stats[i, :4])
        block = ink[by : by + bh, bx : bx + bw]
        for y0, y1, _tentative in find_lines(block, opts):
            for x0, x1 in _pieces(cast(npt.NDArray[np.bool_], block[y0:y1].any(0)), gap):
                rows = np.flatnonzero(block[y0:y1, x0:x1].any(1))
                top, bottom = y0 + int(rows[0]), y0 + int(rows[-1]) + 1
                if x1 - x0 < speck and bottom - top < speck:
                    continue
                boxes.append(
                    (
                        max(0, bx + x0 - pad_x),
                        max(0, by + top - pad_y),
                        min(w, bx + x1 + pad_x),
                        min(h, by + bottom + pad_y),
                    )
                )
    return _reading_order(boxes)


def find_page_lines(
    page: npt.NDArray[np.uint8], *, rotation: int = 0, column_gap: float = COLUMN_GAP
) -> list[list[Point]]:
    """The text lines of a page as four-corner polygons in page pixels, in reading order.

    ``page``: gray or RGB pixels as rendered. ``rotation``: clockwise quarter turn (0, 90, 180,
    270) that sets the page upright, as the reviewer turned it; lines are found on the upright
    page and their corners mapped back, listed from the upright top-left corner clockwise.
    """
    gray = page if page.ndim == 2 else imageops.rgb_to_gray(page)
    turns = (rotation // 90) % 4
    upright = cast(GrayImage, np.ascontiguousarray(np.rot90(gray, k=-turns)) if turns else gray)
    h, w = gray.shape[:2]

    def back(x: float, y: float) -> Point:  # upright pixel edge -> page pixel edge
        return [(x, y), (y, h - x), (w - x, h - y), (w - y, x)][turns]

    return [
        [back(x0, y0), back(x1, y0), back(x1, y1), back(x0, y1)]
        for x0, y0, x1, y1 in find_line_boxes(upright, column_gap=column_gap)
    ]
