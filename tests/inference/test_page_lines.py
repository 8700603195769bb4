"""Whole-page layout on rendered pages: one box per printed line, columns apart, reading order."""

from __future__ import annotations

import numpy as np
import pytest

from inference.page_lines import find_line_boxes, find_page_lines

LINES = ["Patient seen today in clinic", "BP 120/80 pulse 72 regular", "Plan: review in 2 weeks", "Signed: Dr Smith"]
FORM = [("Name: Jane Doe", "DOB: 01/02/1960"), ("Ward: 7B", "Bed: 12")]


def _page(lines: list[str], form: tuple[tuple[str, str], ...] = ()) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1240, 1400), 255)
    draw = ImageDraw.Draw(img)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype("DejaVuSans.ttf", 30)
    except OSError:
        pytest.skip("DejaVuSans is not installed")
    for i, (left, right) in enumerate(form):
        draw.text((80, 90 + i * 60), left, fill=0, font=font)
        draw.text((720, 90 + i * 60), right, fill=0, font=font)
    for i, line in enumerate(lines):
        draw.text((80, 300 + i * 48), line, fill=0, font=font)  # tight line spacing: lines almost touch
    draw.line((60, 260, 1180, 260), fill=0, width=3)  # a form rule is not a line of text
    return np.asarray(img, dtype=np.uint8)


def test_each_printed_line_is_one_box_top_to_bottom() -> None:
    # GIVEN a page of four printed lines, set close together
    page = _page(LINES)
    # WHEN its lines are found
    boxes = find_line_boxes(page)
    # THEN there is one box per line, top to bottom, each holding its line's ink and no other's
    assert len(boxes) == len(LINES)
    tops = [b[1] for b in boxes]
    assert tops == sorted(tops)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        assert x0 <= 80 and x1 > 250
        assert y0 <= 300 + i * 48 + 10 and y1 >= 300 + i * 48 + 25 and y1 - y0 < 60


def test_a_two_column_form_gives_one_region_per_field_in_reading_order() -> None:
    boxes = find_line_boxes(_page(LINES, tuple(FORM)))
    assert len(boxes) == 2 * len(FORM) + len(LINES)
    first_row = boxes[:2]
    assert first_row[0][2] < 700 and first_row[1][0] >= 690  # left field, then right field
    assert boxes[2][0] < 700 and boxes[3][0] >= 690


def test_a_blank_page_has_no_lines() -> None:
    assert find_line_boxes(np.full((800, 600), 250, np.uint8)) == []


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_turned_page_gives_the_same_lines_in_page_pixels(rotation: int) -> None:
    # GIVEN the page scanned sideways (turned the other way), which the reviewer turns upright by ``rotation``
    upright = _page(LINES)
    scanned = np.ascontiguousarray(np.rot90(upright, k=rotation // 90))
    # WHEN lines are found with the reviewer's turn
    polygons = find_page_lines(scanned, rotation=rotation)
    # THEN they are the upright page's lines, mapped onto the scanned page's pixels
    assert len(polygons) == len(LINES)
    h, w = scanned.shape
    for polygon in polygons:
        assert all(0 <= x <= w and 0 <= y <= h for x, y in polygon)
    first = np.array(polygons[0])
    ink = scanned[int(first[:, 1].min()) : int(first[:, 1].max()), int(first[:, 0].min()) : int(first[:, 0].max())]
    assert (ink < 128).sum() > 500  # the box lies on the first line's ink
