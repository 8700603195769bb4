"""The few image operations inference needs, in NumPy and Pillow (no OpenCV in the app).

Each follows OpenCV's definition of the same operation, which the model was trained and checked
with (training/ still uses OpenCV): the same luma weights, resize kernels and fixed-point rounding,
the same rotation (bilinear, 1/32-pixel steps), morphology borders and Otsu threshold. Tests
compare them with OpenCV where it is installed (tests/inference/test_imageops.py); resize and
rotation agree within one gray level, the rest exactly. Decision 023.
"""

from __future__ import annotations

import functools
import math
from typing import TypeVar

import numpy as np
import numpy.typing as npt

GrayImage = npt.NDArray[np.uint8]
_T = TypeVar("_T", bound=np.generic)
Affine = npt.NDArray[np.float64]

__all__ = [
    "CC_AREA",
    "CC_HEIGHT",
    "CC_LEFT",
    "CC_TOP",
    "CC_WIDTH",
    "INTER_AREA",
    "INTER_CUBIC",
    "INTER_NEAREST",
    "connected_components",
    "dilate",
    "divide_scaled",
    "erode",
    "fill_polygon",
    "invert_affine",
    "otsu_threshold",
    "pad_columns",
    "resize",
    "rgb_to_gray",
    "rotate_about_centre",
    "rotation_matrix",
]

INTER_NEAREST, INTER_CUBIC, INTER_AREA = "nearest", "cubic", "area"
CC_LEFT, CC_TOP, CC_WIDTH, CC_HEIGHT, CC_AREA = range(5)  # columns of the stats
_COEF_BITS = 11  # OpenCV's fixed-point resize coefficients (INTER_RESIZE_COEF_BITS)
_COEF_SCALE = 1 << _COEF_BITS


def rgb_to_gray(rgb: npt.NDArray[np.uint8]) -> GrayImage:
    """RGB(A) -> gray, ITU-R 601 luma in OpenCV 5's 15-bit fixed point (exactly cv2.COLOR_RGB2GRAY)."""
    px = rgb[..., :3].astype(np.uint32)
    y = (px[..., 0] * 9798 + px[..., 1] * 19235 + px[..., 2] * 3735 + (1 << 14)) >> 15
    return y.astype(np.uint8)


def _line_pixels(x0: int, y0: int, x1: int, y1: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The pixels of cv2.line(..., lineType=LINE_8) from (x0, y0) to (x1, y1): Bresenham, drawn
    left to right, a diagonal step whenever the error term goes negative."""
    if x1 < x0:
        x0, y0, x1, y1 = x1, y1, x0, y0
    dx, dy = x1 - x0, y1 - y0
    ystep = -1 if dy < 0 else 1
    dy = abs(dy)
    steep = dy > dx
    major, minor = (dy, dx) if steep else (dx, dy)
    k = np.arange(major + 1, dtype=np.int64)
    # minor steps taken after k major steps: #{j < k : major - 2 minor (j + 1) + 2 major m_j < 0}
    m = (2 * minor * k + major - 1) // (2 * major) if major else k
    if steep:
        return x0 + m, y0 + ystep * k
    return x0 + k, y0 + ystep * m


def fill_polygon(shape: tuple[int, int], polygon: npt.NDArray[np.float64], value: int = 255) -> GrayImage:
    """As cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], value) on a zero mask of
    ``shape``: the outline's 8-connected lines, and between them each row's spans from the left
    edge (rounded up) to the right edge (rounded down), edges paired left to right (even-odd)."""
    h, w = shape
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(polygon).astype(np.int64)
    one = 1 << 16  # OpenCV's XY_SHIFT
    x_lo: list[npt.NDArray[np.int64]] = []
    y_lo: list[npt.NDArray[np.int64]] = []
    edges: list[tuple[int, int, int, int]] = []
    prev = pts[-1]
    for cur in pts:
        xs, ys = _line_pixels(int(prev[0]), int(prev[1]), int(cur[0]), int(cur[1]))
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        mask[ys[inside], xs[inside]] = value
        if prev[1] != cur[1]:
            (ax, ay), (_, by) = (prev, cur) if prev[1] < cur[1] else (cur, prev)
            num, den = (int(cur[0]) - int(prev[0])) * one, int(cur[1]) - int(prev[1])
            dx = abs(num) // abs(den) * (1 if (num < 0) == (den < 0) else -1)  # C division: towards zero
            edges.append((int(ay), int(by), int(ax) * one, dx))
        prev = cur
    for y0, y1, x, dx in edges:
        rows = np.arange(max(y0, 0), min(y1, h), dtype=np.int64)
        if rows.size:
            y_lo.append(rows)
            x_lo.append(x + (rows - y0) * dx)
    if y_lo:
        ys = np.concatenate(y_lo)
        xs = np.concatenate(x_lo)
        order = np.lexsort((xs, ys))
        ys, xs = ys[order], xs[order]
        # pair the crossings of each row: 1st with 2nd, 3rd with 4th, ...
        first = np.r_[True, ys[1:] != ys[:-1]]
        rank = np.arange(ys.size) - np.maximum.accumulate(np.where(first, np.arange(ys.size), 0))
        left = np.flatnonzero((rank % 2 == 0)[:-1] & (ys[1:] == ys[:-1]))
        for i in left:
            a = max(0, int((xs[i] + one - 1) >> 16))
            b = min(w - 1, int(xs[i + 1] >> 16))
            if a <= b:
                mask[ys[i], a : b + 1] = value
    return mask


# --- Morphology: rectangular structuring elements, anchor at the centre, OpenCV's borders -----------


def _running(a: GrayImage, size: int, axis: int, take_max: bool) -> GrayImage:
    """Max (or min) over a window of ``size`` along ``axis``, anchored at size // 2 as OpenCV
    anchors a kernel; outside the image counts as neither (the window is clipped). By doubling:
    windows of 1, 2, 4, ... pixels from whole-array maxima, then two overlapping ones make
    ``size``, so the cost grows with log2(size) passes over the image."""
    n = a.shape[axis]
    if size <= 1 or n == 0:
        return a
    anchor = size // 2
    neutral = 0 if take_max else 255
    op = np.maximum if take_max else np.minimum
    pad = [(0, 0), (0, 0)]
    pad[axis] = (anchor, size - 1 - anchor)
    m = np.pad(a, pad, constant_values=neutral)  # window for output i: m[i : i + size] along axis

    def cut(x: GrayImage, lo: int, hi: int) -> GrayImage:
        return x[lo:hi] if axis == 0 else x[:, lo:hi]

    length = m.shape[axis]
    span = 1
    while 2 * span <= size:
        m = op(cut(m, 0, length - span), cut(m, span, length))  # m[i] = extreme of 2 * span from i
        length -= span
        span *= 2
    out: GrayImage = op(cut(m, 0, n), cut(m, size - span, size - span + n))
    return out


def dilate(image: GrayImage, width: int, height: int) -> GrayImage:
    """cv2.dilate with a ``width`` x ``height`` rectangle (default anchor and border)."""
    return _running(_running(image, width, 1, True), height, 0, True)


def erode(image: GrayImage, width: int, height: int) -> GrayImage:
    """cv2.erode with a ``width`` x ``height`` rectangle (default anchor and border)."""
    return _running(_running(image, width, 1, False), height, 0, False)


def divide_scaled(a: GrayImage, b: GrayImage, scale: float = 255.0) -> GrayImage:
    """cv2.divide(a, b, scale=scale) for uint8: round(scale * a / b), saturated; 0 where b is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.rint(a.astype(np.float32) * np.float32(scale) / b.astype(np.float32))
    q = np.where(b == 0, 0, q)
    return np.clip(q, 0, 255).astype(np.uint8)


def otsu_threshold(gray: GrayImage) -> int:
    """Otsu's threshold of a uint8 image as cv2.THRESH_OTSU picks it (the first best split):
    pixels above it are one class, the rest the other."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64) / max(1, gray.size)
    levels = np.arange(256, dtype=np.float64)
    mu = float((hist * levels).sum())
    q1 = np.cumsum(hist)
    m1 = np.cumsum(hist * levels)
    q2 = 1.0 - q1
    eps = float(np.finfo(np.float32).eps)
    valid = (q1 >= eps) & (q2 >= eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu1 = m1 / q1
        mu2 = (mu - q1 * mu1) / q2
        sigma = q1 * q2 * (mu1 - mu2) ** 2
    sigma = np.where(valid, sigma, -1.0)
    best = float(sigma.max())
    return int(np.argmax(sigma)) if best > 0 else 0


# --- Connected components (8-connected), by runs ------------------------------------------------


def connected_components(ink: npt.NDArray[np.bool_]) -> tuple[int, npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """As cv2.connectedComponentsWithStats(ink, connectivity=8): the label count (background 0
    included), the label image, and per label [left, top, width, height, area].

    Labels follow the first pixel of each component in raster order. Works on the runs of each
    row: two runs in neighbouring rows that overlap or touch diagonally are joined; the joins are
    resolved by repeated minimum propagation and pointer jumping, all in NumPy."""
    h, w = ink.shape
    labels = np.zeros((h, w), np.int32)
    if h == 0 or w == 0 or not ink.any():
        return 1, labels, np.array([[0, 0, w, h, h * w]], np.int64)
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = ink
    edges = np.diff(padded, axis=1)
    sr, sc = np.nonzero(edges == 1)  # run starts (row, col), raster order
    er, ec = np.nonzero(edges == -1)  # run ends (exclusive), same order
    n = sr.size
    # For each run b in row r, the runs a in row r-1 with a.end >= b.start and a.start <= b.end.
    stride = w + 2
    end_key = er.astype(np.int64) * stride + ec
    start_key = sr.astype(np.int64) * stride + sc
    first = np.searchsorted(end_key, (sr.astype(np.int64) - 1) * stride + sc, side="left")
    last = np.searchsorted(start_key, (sr.astype(np.int64) - 1) * stride + ec, side="right") - 1
    count = np.where(sr > 0, np.maximum(0, last - first + 1), 0)
    b_idx = np.repeat(np.arange(n), count)
    offsets = np.arange(b_idx.size) - np.repeat(np.cumsum(count) - count, count)
    a_idx = np.repeat(first, count) + offsets
    parent = np.arange(n)
    if a_idx.size:
        while True:
            low = np.minimum(parent[a_idx], parent[b_idx])
            before = parent.copy()
            np.minimum.at(parent, a_idx, low)
            np.minimum.at(parent, b_idx, low)
            parent = parent[parent]
            while True:
                jumped = parent[parent]
                if np.array_equal(jumped, parent):
                    break
                parent = jumped
            if np.array_equal(parent, before):
                break
    roots, comp = np.unique(parent, return_inverse=True)  # roots ascend = raster order of first runs
    comp = comp.ravel() + 1
    count_labels = roots.size + 1
    length = ec - sc
    area = np.bincount(comp, weights=length, minlength=count_labels).astype(np.int64)
    left = np.full(count_labels, w, np.int64)
    right = np.full(count_labels, -1, np.int64)
    top = np.full(count_labels, h, np.int64)
    bottom = np.full(count_labels, -1, np.int64)
    np.minimum.at(left, comp, sc)
    np.maximum.at(right, comp, ec)
    np.minimum.at(top, comp, sr)
    np.maximum.at(bottom, comp, sr + 1)
    stats = np.stack([left, top, right - left, bottom - top, area], axis=1)
    stats[0] = [0, 0, w, h, h * w - int(area[1:].sum())]
    # The label image: +label at each run's start, -label at its end, summed along the row.
    marks = np.zeros((h, w + 1), np.int64)
    np.add.at(marks, (sr, sc), comp)
    np.add.at(marks, (er, ec), -comp)
    labels[:] = np.cumsum(marks, axis=1)[:, :w]
    return count_labels, labels, stats


# --- Geometry: rotation ---------------------------------------------------------------------------


def rotation_matrix(centre: tuple[float, float], angle: float) -> Affine:
    """cv2.getRotationMatrix2D(centre, angle, 1.0): counter-clockwise degrees, image y down."""
    a = math.radians(angle)
    alpha, beta = math.cos(a), math.sin(a)
    cx, cy = centre
    return np.array(
        [[alpha, beta, (1 - alpha) * cx - beta * cy], [-beta, alpha, beta * cx + (1 - alpha) * cy]], np.float64
    )


def invert_affine(m: Affine) -> Affine:
    """cv2.invertAffineTransform."""
    d = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    d = 1.0 / d if d != 0 else 0.0
    a11, a22, a12, a21 = m[1, 1] * d, m[0, 0] * d, -m[0, 1] * d, -m[1, 0] * d
    b1 = -a11 * m[0, 2] - a12 * m[1, 2]
    b2 = -a21 * m[0, 2] - a22 * m[1, 2]
    return np.array([[a11, a12, b1], [a21, a22, b2]], np.float64)


def rotate_about_centre(image: GrayImage, m: Affine, fill: int) -> GrayImage:
    """cv2.warpAffine(image, m, (w, h), flags=INTER_LINEAR, borderValue=fill): bilinear at the
    exact source position (OpenCV 5 no longer steps it to 1/32 pixel), rounded; pixels off the
    image read as ``fill``."""
    h, w = image.shape
    inv = invert_affine(m).astype(np.float32)
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = sx - x0, sy - y0
    ix, iy = x0.astype(np.int64), y0.astype(np.int64)
    src = np.pad(image.astype(np.float32), 1, constant_values=fill).ravel()  # one pixel of fill all round
    stride = w + 2
    x_lo, x_hi = np.clip(ix + 1, 0, w + 1), np.clip(ix + 2, 0, w + 1)
    row_lo, row_hi = np.clip(iy + 1, 0, h + 1) * stride, np.clip(iy + 2, 0, h + 1) * stride
    top_left, top_right = src[row_lo + x_lo], src[row_lo + x_hi]
    bottom_left, bottom_right = src[row_hi + x_lo], src[row_hi + x_hi]
    top = top_left + fx * (top_right - top_left)
    bottom = bottom_left + fx * (bottom_right - bottom_left)
    out: GrayImage = np.clip(np.rint(top + fy * (bottom - top)), 0, 255).astype(np.uint8)
    return out


# --- Resize ---------------------------------------------------------------------------------------


def _cubic_coeffs(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    a = np.float32(-0.75)
    one = np.float32(1)
    c0 = ((a * (x + one) - 5 * a) * (x + one) + 8 * a) * (x + one) - 4 * a
    c1 = ((a + 2) * x - (a + 3)) * x * x + one
    c2 = ((a + 2) * (one - x) - (a + 3)) * (one - x) * (one - x) + one
    c3 = one - c0 - c1 - c2
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=1024)
def _interp_weights(src: int, dst: int, mode: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per output pixel, its source taps (clamped) and OpenCV's fixed-point (x 2048) weights for
    cubic, or for the bilinear kind INTER_AREA uses when a side grows."""
    inv = dst / src
    scale = 1 / inv  # as OpenCV derives it
    d = np.arange(dst, dtype=np.float64)
    if mode == INTER_CUBIC:
        f = ((d + 0.5) * scale - 0.5).astype(np.float32)
        s = np.floor(f).astype(np.int64)
        f = (f - s.astype(np.float32)).astype(np.float32)
        coeffs = _cubic_coeffs(f)
        taps = s[:, None] + np.arange(-1, 3)[None, :]
    else:  # area mode, linear taps
        s = np.floor(d * scale).astype(np.int64)
        f64 = (d + 1) - (s + 1) * inv
        f64 = np.where(f64 <= 0, 0.0, f64 - np.floor(f64))
        f = f64.astype(np.float32)
        low, high = s < 0, s >= src - 1
        f = np.where(low | high, np.float32(0), f).astype(np.float32)
        s = np.where(low, 0, np.where(high, src - 1, s))
        coeffs = np.stack([np.float32(1) - f, f], axis=1).astype(np.float32)
        taps = s[:, None] + np.arange(2)[None, :]
    return _frozen(np.clip(taps, 0, src - 1)), _frozen(np.rint(coeffs * np.float32(_COEF_SCALE)).astype(np.int64))


@functools.lru_cache(maxsize=1024)
def _area_weights(src: int, dst: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per output pixel, its source taps and OpenCV's INTER_AREA weights (float32) when shrinking
    (or keeping) a side; unused taps weigh 0."""
    scale = 1 / (dst / src)  # as OpenCV derives it
    table: list[list[tuple[int, float]]] = []
    for dx in range(dst):
        fsx1 = dx * scale
        fsx2 = fsx1 + scale
        cell = min(scale, src - fsx1)
        sx1, sx2 = math.ceil(fsx1), math.floor(fsx2)
        sx2 = min(sx2, src - 1)
        sx1 = min(sx1, sx2)
        row = []
        if sx1 - fsx1 > 1e-3:
            row.append((sx1 - 1, (sx1 - fsx1) / cell))
        row += [(sx, 1.0 / cell) for sx in range(sx1, sx2)]
        if fsx2 - sx2 > 1e-3:
            row.append((sx2, min(min(fsx2 - sx2, 1.0), cell) / cell))
        table.append(row)
    k = max(len(row) for row in table)
    taps = np.zeros((dst, k), np.int64)
    weights = np.zeros((dst, k), np.float32)
    for dx, row in enumerate(table):
        for j, (sx, wt) in enumerate(row):
            taps[dx, j], weights[dx, j] = sx, wt
    return _frozen(taps), _frozen(weights.astype(np.float64))


def _frozen(a: npt.NDArray[_T]) -> npt.NDArray[_T]:
    a.flags.writeable = False
    return a


def _nearest(src: int, dst: int) -> npt.NDArray[np.int64]:
    index: npt.NDArray[np.int64] = np.floor(np.arange(dst) * (1 / (dst / src))).astype(np.int64)
    return np.minimum(index, src - 1)


def resize(gray: GrayImage, width: int, height: int, mode: str) -> GrayImage:
    """cv2.resize(gray, (width, height), interpolation=...) for INTER_NEAREST, INTER_AREA and
    INTER_CUBIC on a gray uint8 image, as OpenCV's own code computes it (the wheel's Intel IPP
    rounds a few pixels of some sizes one gray level otherwise). Weighted sums of a few taps per
    pixel, no matrix products (BLAS threads would wait on a busy machine)."""
    h, w = gray.shape
    if (h, w) == (height, width):
        return gray.copy()
    if mode == INTER_NEAREST:
        return np.ascontiguousarray(gray[_nearest(h, height)][:, _nearest(w, width)])
    if mode == INTER_AREA and w >= width and h >= height:
        xt, xw = _area_weights(w, width)
        yt, yw = _area_weights(h, height)
        rows = (gray[:, xt] * xw).sum(-1)  # (h, width)
        out = (rows[yt] * yw[:, :, None]).sum(1)
        area: GrayImage = np.clip(np.rint(out), 0, 255).astype(np.uint8)
        return area
    kind = INTER_CUBIC if mode == INTER_CUBIC else INTER_AREA
    # OpenCV's integer path: each row resized (x 2048), then the columns (x 2048).
    xt, xa = _interp_weights(w, width, kind)
    rows = (gray[:, xt].astype(np.int64) * xa).sum(-1)  # (h, width)
    yt, ya = _interp_weights(h, height, kind)
    picked = rows[yt]  # (height, taps, width)
    if kind == INTER_CUBIC:
        out = ((picked * ya[:, :, None]).sum(1) + (1 << 21)) >> 22
    else:  # its vector code for the linear kind: in 16 bits
        out = ((((picked >> 4) * ya[:, :, None]) >> 16).sum(1) + 2) >> 2
    resized: GrayImage = np.clip(out, 0, 255).astype(np.uint8)
    return resized


def pad_columns(gray: GrayImage, left: int, right: int, value: int) -> GrayImage:
    """cv2.copyMakeBorder(gray, 0, 0, left, right, BORDER_CONSTANT, value=value)."""
    return np.pad(gray, ((0, 0), (left, right)), constant_values=value)
