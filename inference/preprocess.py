"""Pixels of a page region -> what the model reads.

Crop a polygon (page pixels) out of the page, mask everything outside it with the local
background, straighten small skew, binarise for layout, and resize/normalise word crops as
the ModelSpec says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inference import imageops
from inference.errors import InputError
from inference.geometry import Box, Point
from inference.spec import ModelSpec

GrayImage = npt.NDArray[np.uint8]
MAX_SKEW_DEG = 6.0


@dataclass(frozen=True, slots=True)
class RegionCrop:
    """A region cut from a page: ``image`` is upright; ``to_page`` maps its pixels to page pixels."""

    image: GrayImage
    to_page: npt.NDArray[np.float64]  # 2x3 affine: crop (x, y, 1) -> page (x, y)
    skew_deg: float

    def box_to_page(self, box: Box) -> Box:
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64) @ self.to_page.T
        return (
            int(np.floor(pts[:, 0].min())),
            int(np.floor(pts[:, 1].min())),
            int(np.ceil(pts[:, 0].max())),
            int(np.ceil(pts[:, 1].max())),
        )


def rectangle(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def polygon_area(polygon: Sequence[Point] | npt.NDArray[np.float64]) -> float:
    pts = np.asarray(polygon, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def filled_area(polygon: Sequence[Point] | npt.NDArray[np.float64]) -> float:
    """The area ``polygon`` covers when it is filled for cropping (:func:`inference.imageops.fill_polygon`), in pixels.

    Unlike :func:`polygon_area` (the shoelace formula, where the lobes of a self-intersecting
    lasso such as a bow-tie cancel out), every lobe counts. The filled pixels less half the
    outline's length (the pixels the outline itself adds), so a sliver stays near zero. Falls
    back to :func:`polygon_area` for an outline spanning more than 10^8 pixels."""
    pts = np.asarray(polygon, dtype=np.float64)
    lo = np.floor(pts.min(0))
    w, h = (np.ceil(pts.max(0)) - lo + 1).astype(int)
    if w * h > 100_000_000:
        return polygon_area(pts)
    mask = imageops.fill_polygon((int(h), int(w)), pts - lo, 1)
    perimeter = float(np.hypot(*(np.roll(pts, -1, axis=0) - pts).T).sum())
    return max(0.0, float(np.count_nonzero(mask)) - perimeter / 2)


#: Quarter turns a region can be read at: how far (clockwise) the page was turned on screen.
ROTATIONS = (0, 90, 180, 270)


def pixel_bounds(points: npt.NDArray[np.float64], height: int, width: int) -> tuple[int, int, int, int]:
    """The whole pixels ``(x0, y0, x1, y1)`` that hold ``points`` (an n x 2 array), clipped to a
    ``height`` x ``width`` page: what :func:`crop_polygon` cuts out."""
    x0, y0 = np.floor(points.min(0)).astype(int)
    x1, y1 = np.ceil(points.max(0)).astype(int)
    return max(int(x0), 0), max(int(y0), 0), min(int(x1), width), min(int(y1), height)


def crop_polygon(page: GrayImage, polygon: Sequence[Point], *, deskew: bool = True, rotation: int = 0) -> RegionCrop:
    """Cut ``polygon`` out of a gray page; pixels outside it become the local background.

    ``rotation``: clockwise degrees (0, 90, 180, 270) that make the region's text upright, i.e.
    how the page was turned on screen when the region was drawn. The crop is turned by it, and
    ``to_page`` still maps back to the unturned page."""
    if rotation not in ROTATIONS:
        raise InputError("A region can only be turned by 0, 90, 180 or 270 degrees.")
    if page.ndim != 2:
        raise InputError("crop_polygon expects a gray page image.")
    pts = np.asarray(polygon, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] < 3 or pts.shape[1] != 2 or not np.isfinite(pts).all():
        raise InputError("A region needs at least three points.")
    if polygon_area(pts) < 16 and filled_area(pts) < 16:  # a bow-tie's lobes cancel in the first
        raise InputError("The region is too small to hold text.")
    x0, y0, x1, y1 = pixel_bounds(pts, page.shape[0], page.shape[1])
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise InputError("The region lies outside the page.")
    crop = page[y0:y1, x0:x1]
    mask = imageops.fill_polygon((crop.shape[0], crop.shape[1]), pts - (x0, y0))
    inside = crop[mask > 0]
    if inside.size == 0:
        raise InputError("The region lies outside the page.")
    background = int(np.percentile(inside, 90))
    image = np.where(mask > 0, crop, np.uint8(background)).astype(np.uint8)
    to_page = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]])
    if rotation:
        image, to_page = _quarter_turn(image, rotation, to_page)
    skew = 0.0
    if deskew:
        skew = estimate_skew(image)
        if abs(skew) >= 0.3:
            image, to_page = _rotate(image, skew, background, to_page)
    return RegionCrop(image, to_page, skew)


def _quarter_turn(
    image: GrayImage, rotation: int, to_page: npt.NDArray[np.float64]
) -> tuple[GrayImage, npt.NDArray[np.float64]]:
    """Turn ``image`` clockwise by ``rotation`` degrees; compose the map back to the page."""
    h, w = image.shape
    turned = np.ascontiguousarray(np.rot90(image, k=-(rotation // 90)))
    # turned crop (x', y') -> original crop (x, y), in pixel-edge coordinates
    back = {
        90: [[0.0, 1.0, 0.0], [-1.0, 0.0, h]],
        180: [[-1.0, 0.0, w], [0.0, -1.0, h]],
        270: [[0.0, -1.0, w], [1.0, 0.0, 0.0]],
    }[rotation]
    return turned, to_page @ np.vstack([np.array(back), [0.0, 0.0, 1.0]])


def _rotate(
    image: GrayImage, angle: float, fill: int, to_page: npt.NDArray[np.float64]
) -> tuple[GrayImage, npt.NDArray[np.float64]]:
    h, w = image.shape
    m = imageops.rotation_matrix((w / 2, h / 2), angle)
    rotated = imageops.rotate_about_centre(image, m, fill)
    inv = imageops.invert_affine(m)  # rotated crop -> original crop
    composed = to_page @ np.vstack([inv, [0, 0, 1]])
    return rotated, composed


def ink_mask(gray: GrayImage) -> npt.NDArray[np.bool_]:
    """Dark text on light paper -> True where ink. Otsu after flattening the background."""
    if gray.size == 0:
        return np.zeros(gray.shape, bool)
    k = max(15, (min(gray.shape) // 2) | 1)
    background = imageops.erode(imageops.dilate(gray, k, k), k, k)  # a closing: the paper without the ink
    flat = imageops.divide_scaled(gray, background)
    if int(flat.max()) - int(flat.min()) < 25:
        return np.zeros(gray.shape, bool)  # blank: no contrast worth reading
    return flat <= imageops.otsu_threshold(flat)


def estimate_skew(gray: GrayImage) -> float:
    """Angle in degrees (counter-clockwise positive, as OpenCV's) that makes text lines horizontal.

    Projection-profile search on the ink pixels: for each candidate angle the ink rows are
    histogrammed along the rotated y axis and the sharpest profile wins. Coarse 1-degree steps
    over +-MAX_SKEW_DEG, then 0.25-degree steps around the best; a few milliseconds a region.
    """
    ink = ink_mask(gray)
    if ink.sum() < 50 or (gray.shape[1] < 3 * gray.shape[0] // 4 and gray.shape[0] < 40):
        return 0.0
    h, w = ink.shape
    scale = min(1.0, 400 / max(h, w))
    if scale < 1.0:
        small = max(1, int(w * scale)), max(1, int(h * scale))
        ink = imageops.resize(ink.astype(np.uint8), *small, imageops.INTER_NEAREST) > 0
    ys, xs = np.nonzero(ink)
    if ys.size < 50:
        return 0.0
    ys = ys.astype(np.float64) - ink.shape[0] / 2
    xs = xs.astype(np.float64) - ink.shape[1] / 2
    offset = float(np.hypot(*ink.shape)) / 2 + 1
    bins = int(2 * offset) + 2

    def sharpness(angle: float) -> float:
        # OpenCV's positive angle rotates the image counter-clockwise; a pixel's new row is
        # y*cos(a) - x*sin(a) around the centre (image y points down).
        a = np.deg2rad(angle)
        rows = np.round(ys * np.cos(a) - xs * np.sin(a) + offset).astype(np.int64)
        profile = np.bincount(rows, minlength=bins).astype(np.float64)
        return float(np.square(np.diff(profile)).sum())

    def best_of(angles: npt.NDArray[np.float64]) -> float:
        scores = [sharpness(float(a)) for a in angles]
        top = max(scores)
        # Ties (e.g. a single line that any small angle fits) resolve towards zero.
        return float(min((a for a, sc in zip(angles, scores) if sc >= top * 0.9999), key=abs))

    coarse = best_of(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.01, 1.0))
    return best_of(np.arange(coarse - 0.75, coarse + 0.76, 0.25).clip(-MAX_SKEW_DEG, MAX_SKEW_DEG))


def pad_to_aspect(gray: GrayImage, min_aspect: float) -> GrayImage:
    """A crop narrower than ``min_aspect`` x its height, widened with its own paper on both
    sides: a lone narrow glyph (I, l, 1, a colon, a rule) stretched to the model's 4:1 input
    becomes a blot the model reads as anything."""
    h, w = gray.shape[:2]
    want = int(np.ceil(min_aspect * h))
    if w >= want or gray.ndim != 2:
        return gray
    paper = int(np.percentile(gray, 90))
    left = (want - w) // 2
    return imageops.pad_columns(gray, left, want - w - left, paper)


def resize_normalise(gray: GrayImage, spec: ModelSpec) -> npt.NDArray[np.float32]:
    """A word crop (any size, gray uint8) -> float32 (C, H, W) normalised per the spec."""
    h, w = spec.input_height, spec.input_width
    if gray.ndim == 3:
        gray = imageops.rgb_to_gray(gray)
    if gray.shape[0] < 1 or gray.shape[1] < 1:
        raise InputError("Empty crop.")
    shrink = gray.shape[0] > h or gray.shape[1] > w
    resized = imageops.resize(gray, w, h, imageops.INTER_AREA if shrink else imageops.INTER_CUBIC)
    x = resized.astype(np.float32) / 255.0
    mean = np.asarray(spec.mean, np.float32)[:, None, None]
    std = np.asarray(spec.std, np.float32)[:, None, None]
    chans = np.broadcast_to(x, (spec.channels, h, w))
    return ((chans - mean[: spec.channels]) / std[: spec.channels]).astype(np.float32)
