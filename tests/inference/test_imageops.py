"""inference.imageops: the image operations of the region path, without OpenCV.

The app no longer ships OpenCV (decision 023), but the model was trained and measured with it
(training/ keeps it), so each operation is compared with OpenCV's on the same pixels where
OpenCV is installed (the train extra); the tests without it check the operations' own rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inference import imageops
from inference.preprocess import crop_polygon
from inference.textimage import render_lines

ROOT = Path(__file__).resolve().parents[2]


def _pages(count: int, seed: int = 0) -> list[np.ndarray]:
    """Gray pages with text, specks and uneven paper, of many sizes (small crops to a strip)."""
    rng = np.random.default_rng(seed)
    words = ["Patient", "seen", "BP 128/82", "Metformin", "500 mg", "PO BID", "follow up", "I", "l1"]
    pages = []
    for i in range(count):
        text = " ".join(rng.choice(words, size=int(rng.integers(1, 5))))
        image = render_lines([text], font_size=int(rng.integers(9, 40)), margin=int(rng.integers(0, 12))).image
        shade = np.linspace(0, rng.integers(0, 60), image.shape[1])[None, :]  # a darker side, as scans have
        image = np.clip(image.astype(np.float64) - shade, 0, 255).astype(np.uint8)
        specks = rng.random(image.shape) < 0.002
        image[specks] = rng.integers(0, 255)
        pages.append(image[: max(2, image.shape[0] - i % 7), :])
    return pages


# --- Without OpenCV: the operations' own rules ---------------------------------------------------


def test_the_app_imports_no_opencv() -> None:
    # GIVEN the modules the installed app runs (inference and desktop)
    offenders = []
    for folder in ("inference", "desktop"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # WHEN their imports are read
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "cv2"]
    # THEN none is OpenCV: it is a training dependency only
    assert offenders == []


def test_connected_components_count_and_measure_each_blob() -> None:
    # GIVEN two blobs that touch only at a corner (8-connected: one) and a separate bar
    ink = np.zeros((10, 12), bool)
    ink[1:3, 1:3] = True
    ink[3:5, 3:5] = True  # diagonal neighbour of the first
    ink[7, 2:11] = True
    # WHEN they are labelled
    n, labels, stats = imageops.connected_components(ink)
    # THEN there are two components (and the background), each with its box and area
    assert n == 3
    boxes = sorted(tuple(int(v) for v in row) for row in stats[1:])
    assert boxes == [(1, 1, 4, 4, 8), (2, 7, 9, 1, 9)]
    assert set(np.unique(labels[ink])) == {1, 2} and (labels[~ink] == 0).all()


def test_an_opening_keeps_only_runs_as_long_as_the_element() -> None:
    # GIVEN a row with a long run and a short one, away from the edges
    row = np.zeros((1, 40), np.uint8)
    row[0, 3:23] = 1
    row[0, 28:33] = 1
    # WHEN it is opened with an 11-pixel element (odd: centred; OpenCV shifts an even one by a pixel)
    opened = imageops.dilate(imageops.erode(row, 11, 1), 11, 1)
    # THEN the long run stays whole and the short one is gone
    assert np.array_equal(np.flatnonzero(opened[0]), np.arange(3, 23))


def test_resize_keeps_a_flat_image_flat_and_averages_when_halving() -> None:
    # GIVEN a flat image and a checkerboard
    flat = np.full((50, 300), 173, np.uint8)
    board = (np.indices((64, 256)).sum(0) % 2 * 200).astype(np.uint8)
    # WHEN they are resized to the model's input
    # THEN the flat one stays flat (area shrink and the mixed case), and the board averages out
    for size in [(50, 300), (20, 300), (50, 100)]:
        image = np.full(size, 173, np.uint8)
        assert (imageops.resize(image, 128, 32, imageops.INTER_AREA) == 173).all()
    assert (imageops.resize(np.full((20, 60), 90, np.uint8), 128, 32, imageops.INTER_CUBIC) == 90).all()
    assert (imageops.resize(flat, 128, 32, imageops.INTER_AREA) == 173).all()
    assert (imageops.resize(board, 128, 32, imageops.INTER_AREA) == 100).all()


def test_rotation_keeps_the_centre_and_fills_the_corners() -> None:
    # GIVEN a dark dot at the centre of light paper
    image = np.full((41, 81), 220, np.uint8)
    image[20, 40] = 0
    # WHEN it is turned by five degrees with a fill of 255
    m = imageops.rotation_matrix((40.5, 20.5), 5.0)
    turned = imageops.rotate_about_centre(image, m, 255)
    # THEN the dot stays near the centre and the corners that came from off the image are fill
    assert turned[19:22, 39:42].min() < 100
    assert turned[0, -1] == 255 and turned[-1, 0] == 255
    assert np.allclose(imageops.invert_affine(imageops.invert_affine(m)), m)


def test_polygon_fill_covers_the_outline_and_the_inside() -> None:
    # GIVEN a triangle
    mask = imageops.fill_polygon((20, 20), np.array([[2.0, 2.0], [17.0, 2.0], [2.0, 17.0]]))
    # THEN its corners, edges and inside are filled and the far corner is not
    assert mask[2, 2] == mask[2, 17] == mask[17, 2] == mask[9, 9] == 255
    assert mask[17, 17] == 0
    assert int((mask > 0).sum()) == 16 * 17 // 2  # rows of 16, 15, ... 1 pixels, the outline included


# --- Against OpenCV, where the train extra is installed ---------------------------------------------


@pytest.fixture
def cv2() -> Iterator[Any]:
    """OpenCV's own code, without Intel's IPP, which the wheel may call for some sizes (its
    resize and rotation round differently again, by one gray level at most)."""
    module = pytest.importorskip("cv2", reason="OpenCV (the train extra) is not installed: nothing to compare with")
    was = module.ipp.useIPP()
    module.ipp.setUseIPP(False)
    yield module
    module.ipp.setUseIPP(was)


def test_resize_matches_opencv_within_one_gray_level(cv2: Any) -> None:
    # GIVEN word crops of many sizes: smaller, larger and mixed against the 32x128 input
    diffs, off = [], 0
    for page in _pages(120):
        h, w = page.shape
        shrink = h > 32 or w > 128
        # WHEN each is resized as the app resizes it, and as OpenCV does
        ref = cv2.resize(page, (128, 32), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
        got = imageops.resize(page, 128, 32, imageops.INTER_AREA if shrink else imageops.INTER_CUBIC)
        diff = np.abs(ref.astype(int) - got.astype(int))
        diffs.append(int(diff.max()))
        off += int((diff > 0).sum())
        small = cv2.resize(page, (max(1, w // 3), max(1, h // 3)), interpolation=cv2.INTER_NEAREST)
        assert np.array_equal(small, imageops.resize(page, max(1, w // 3), max(1, h // 3), imageops.INTER_NEAREST))
    # THEN no pixel is more than one gray level apart, and hardly any are apart at all
    assert max(diffs) <= 1
    assert off <= 0.001 * 120 * 32 * 128


def test_ink_mask_steps_match_opencv_exactly(cv2: Any) -> None:
    # GIVEN scanned-looking crops
    for page in _pages(60, seed=1):
        k = max(15, (min(page.shape) // 2) | 1)
        # WHEN the paper is flattened and thresholded as ink_mask does, and as OpenCV does
        ref_bg = cv2.morphologyEx(page, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
        bg = imageops.erode(imageops.dilate(page, k, k), k, k)
        # THEN every step is the same, pixel for pixel
        assert np.array_equal(ref_bg, bg)
        flat = cv2.divide(page, ref_bg, scale=255)
        assert np.array_equal(flat, imageops.divide_scaled(page, bg))
        t, _ = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        assert int(t) == imageops.otsu_threshold(flat)


def test_components_and_morphology_match_opencv_exactly(cv2: Any) -> None:
    rng = np.random.default_rng(2)
    for page in _pages(40, seed=2):
        ink = page < 128
        # WHEN the ink is labelled, as layout does, and by OpenCV
        n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
        n2, labels2, stats2 = imageops.connected_components(ink)
        # THEN the same components with the same boxes and areas (labels may be numbered otherwise)
        assert n == n2
        to_mine = np.zeros(n, int)
        to_mine[labels.ravel()] = labels2.ravel()
        assert len(set(to_mine.tolist())) == n and np.array_equal(to_mine[labels], labels2)
        assert np.array_equal(stats2[to_mine], stats)
        # ... and the same openings and dilations, however wide the element
        kx, ky = int(rng.integers(1, 60)), int(rng.integers(1, 12))
        u8 = ink.astype(np.uint8)
        element = cv2.getStructuringElement(cv2.MORPH_RECT, (kx, ky))
        assert np.array_equal(
            cv2.morphologyEx(u8, cv2.MORPH_OPEN, element), imageops.dilate(imageops.erode(u8, kx, ky), kx, ky)
        )
        assert np.array_equal(cv2.dilate(u8, element), imageops.dilate(u8, kx, ky))


def test_rotation_gray_and_fill_match_opencv(cv2: Any) -> None:
    rng = np.random.default_rng(3)
    for page in _pages(40, seed=3):
        h, w = page.shape
        angle = float(rng.uniform(-6, 6))
        # WHEN a crop is deskewed as crop_polygon does, and by OpenCV
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        assert np.allclose(m, imageops.rotation_matrix((w / 2, h / 2), angle))
        assert np.allclose(cv2.invertAffineTransform(m), imageops.invert_affine(m))
        ref = cv2.warpAffine(page, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=231)
        got = imageops.rotate_about_centre(page, m, 231)
        # THEN within one gray level (OpenCV rounds a few sums in float32 otherwise)
        diff = np.abs(ref.astype(int) - got.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.002
        # ... the luma is OpenCV's exactly
        rgb = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        assert np.array_equal(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), imageops.rgb_to_gray(rgb))
        # ... and so is a lasso's mask, when the lasso lies on the image
        pts = rng.uniform(0, [w - 1, h - 1], (int(rng.integers(3, 12)), 2))
        ref_mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(ref_mask, [np.round(pts).astype(np.int32)], 255)
        assert np.array_equal(ref_mask, imageops.fill_polygon((h, w), pts))


def test_a_region_crop_matches_the_opencv_crop(cv2: Any) -> None:
    # GIVEN a skewed two-line region, as a clerk lassoes it
    rendered = render_lines(["Metformin 500 mg PO BID", "BP 128/82 HR 72"], font_size=26, margin=20)
    h, w = rendered.image.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.0)
    page = cv2.warpAffine(rendered.image, m, (w, h), borderValue=255)
    # WHEN it is cropped and deskewed
    crop = crop_polygon(page, [(4, 3), (w - 5, 6), (w - 3, h - 4), (2, h - 6)])
    # THEN the skew is found and undone, as it was with OpenCV
    assert abs(abs(crop.skew_deg) - 3.0) <= 0.5
