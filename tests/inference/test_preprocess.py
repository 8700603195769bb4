"""Cropping polygons, masking, deskew, resize/normalise."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inference.errors import InputError
from inference.preprocess import crop_polygon, estimate_skew, rectangle, resize_normalise
from inference.spec import ModelSpec
from inference.textimage import render_lines

LINES = ["Patient seen today for follow up", "BP 128/82 HR 72 Temp 98.6F", "Metformin 500 mg PO BID"]


def _rotated(image: np.ndarray, angle: float) -> np.ndarray:
    # counter-clockwise about the centre, as the app's deskew measures it
    turned = Image.fromarray(image).rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
    return np.asarray(turned)


def test_pixels_outside_the_lasso_become_background() -> None:
    page = np.full((100, 200), 230, np.uint8)
    page[60:, 150:] = 0  # dark ink below the hypotenuse: the lasso leaves it out
    triangle = [(10, 10), (190, 10), (10, 90)]
    crop = crop_polygon(page, triangle, deskew=False)
    assert crop.image.shape == (80, 180)
    assert crop.image.min() == 230  # the ink outside the polygon is gone
    assert page[10:90, 10:190].min() == 0  # (though it lies inside the bounding box)
    # crop pixel (5, 7) maps back to page (15, 17)
    assert crop.box_to_page((5, 7, 6, 8)) == (15, 17, 16, 18)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_region_drawn_on_a_turned_page_is_turned_upright_and_maps_back(rotation: int) -> None:
    # GIVEN a text line on a page that was scanned turned (the reader turned the view to read it)
    line = render_lines(["Metformin 500 mg"], font_size=26, margin=8).image
    page = np.full((400, 500), 255, np.uint8)
    turned = np.rot90(line, k=rotation // 90)  # counter-clockwise: the view turns it back clockwise
    th, tw = turned.shape
    page[50 : 50 + th, 60 : 60 + tw] = turned
    # WHEN the region around it is cropped with the view's rotation
    crop = crop_polygon(page, rectangle(60, 50, 60 + tw, 50 + th), deskew=False, rotation=rotation)
    # THEN the crop is the upright line, and its boxes map back onto the page
    assert np.array_equal(crop.image, line)
    lh, lw = line.shape
    assert crop.box_to_page((0, 0, lw, lh)) == (60, 50, 60 + tw, 50 + th)
    ink = np.argwhere(line < 128)
    (y0, x0), (y1, x1) = ink.min(0), ink.max(0) + 1
    px0, py0, px1, py1 = crop.box_to_page((int(x0), int(y0), int(x1), int(y1)))
    page_ink = np.argwhere(page < 128)
    assert (px0, py0, px1, py1) == (
        page_ink[:, 1].min(),
        page_ink[:, 0].min(),
        page_ink[:, 1].max() + 1,
        page_ink[:, 0].max() + 1,
    )


def test_only_quarter_turns_are_accepted() -> None:
    with pytest.raises(InputError, match="90"):
        crop_polygon(np.full((50, 50), 255, np.uint8), rectangle(0, 0, 40, 40), rotation=45)


@pytest.mark.parametrize("angle", [-4.0, -1.5, 2.0, 5.0])
def test_small_skew_is_measured_and_straightened(angle: float) -> None:
    page = _rotated(render_lines(LINES, font_size=26).image, angle)
    assert estimate_skew(page) == pytest.approx(-angle, abs=0.5)
    h, w = page.shape
    crop = crop_polygon(page, rectangle(0, 0, w, h))
    assert crop.skew_deg == pytest.approx(-angle, abs=0.5)
    # the straightened crop's centre maps back to the page centre
    ch, cw = crop.image.shape
    x0, y0, _x1, _y1 = crop.box_to_page((cw // 2, ch // 2, cw // 2 + 1, ch // 2 + 1))
    assert abs(x0 - w / 2) <= 2 and abs(y0 - h / 2) <= 2


def test_single_word_is_not_deskewed() -> None:
    page = render_lines(["Furosemide"], font_size=30).image
    assert estimate_skew(page) == 0.0


@pytest.mark.parametrize("polygon", [[(0, 0), (1, 1)], [(0, 0), (2, 0), (2, 2)], [(500, 500), (600, 500), (600, 600)]])
def test_unusable_regions_raise_input_error(polygon) -> None:
    with pytest.raises(InputError):
        crop_polygon(np.full((100, 100), 255, np.uint8), polygon)


def test_resize_normalise_follows_the_spec() -> None:
    spec = ModelSpec()
    word = np.full((20, 60), 255, np.uint8)
    word[5:15, 10:50] = 0
    x = resize_normalise(word, spec)
    assert x.shape == (3, 32, 128) and x.dtype == np.float32
    assert x.min() == pytest.approx(-1.0) and x.max() == pytest.approx(1.0)  # (v/255 - 0.5) / 0.5
    grey = ModelSpec(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    assert resize_normalise(word, grey).min() == pytest.approx(0.0)


def test_a_narrow_crop_is_widened_with_its_own_paper() -> None:
    from inference.preprocess import pad_to_aspect

    crop = np.full((30, 6), 230, np.uint8)
    crop[3:27, 2:4] = 20  # a lone thin stroke: I, l, 1, a rule
    wide = pad_to_aspect(crop, 1.0)
    assert wide.shape == (30, 30)
    assert (wide[:, :12] == 230).all() and (wide[:, 18:] == 230).all()  # paper on both sides
    assert (wide[:, 12:18] == crop).all()  # the stroke itself untouched, centred
    assert pad_to_aspect(np.zeros((10, 40), np.uint8), 1.0).shape == (10, 40)  # wide enough already
