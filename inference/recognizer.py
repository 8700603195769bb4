"""Recognizer = pre-processing + layout + a back end + decoding."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from inference.backends.base import Backend
from inference.decoding import Decoded, decode_logits
from inference.documents import to_gray
from inference.layout import LayoutOptions, analyse
from inference.preprocess import GrayImage, Point, RegionCrop, crop_polygon, resize_normalise
from inference.spec import ModelSpec

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class WordResult:
    text: str
    confidences: tuple[float, ...]
    box: Box  # page pixels


@dataclass(frozen=True, slots=True)
class LineResult:
    words: tuple[WordResult, ...]
    box: Box  # page pixels

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words if w.text)


@dataclass(frozen=True, slots=True)
class RegionResult:
    """What the recogniser read in one region.

    ``confidences`` has one value per character of ``text``; the spaces and newlines the
    layout inserted count as certain (1.0).
    """

    text: str
    confidences: tuple[float, ...]
    lines: tuple[LineResult, ...]
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    skew_deg: float = 0.0

    @property
    def words(self) -> list[WordResult]:
        return [w for line in self.lines for w in line.words]

    @property
    def min_confidence(self) -> float:
        return min(self.confidences, default=1.0)

    def low_confidence_indices(self, threshold: float) -> list[int]:
        return [i for i, c in enumerate(self.confidences) if c < threshold]


def join_lines(lines: Sequence[LineResult]) -> tuple[str, tuple[float, ...]]:
    parts: list[str] = []
    confs: list[float] = []
    for li, line in enumerate(lines):
        words = [w for w in line.words if w.text]
        if not words:
            continue
        if parts:
            parts.append("\n")
            confs.append(1.0)
        for wi, word in enumerate(words):
            if wi:
                parts.append(" ")
                confs.append(1.0)
            parts.append(word.text)
            confs.extend(word.confidences)
    return "".join(parts), tuple(confs)


class Recognizer:
    """Reads regions of page images through any :class:`Backend`.

    Thread-safe as long as the back end is (all shipped back ends are).
    """

    def __init__(self, backend: Backend, *, batch_size: int = 32, layout: LayoutOptions | None = None) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self.layout = layout or LayoutOptions()

    @property
    def spec(self) -> ModelSpec:
        return self.backend.spec

    def read_crops(self, crops: Sequence[GrayImage]) -> list[Decoded]:
        """Each crop is one word: resize, batch through the back end, decode."""
        if not crops:
            return []
        spec = self.spec
        batch = np.stack([resize_normalise(to_gray(c), spec) for c in crops])
        out: list[Decoded] = []
        for start in range(0, len(batch), self.batch_size):
            logits = self.backend.infer(batch[start:start + self.batch_size])
            out.extend(decode_logits(logits, spec))
        return out

    def recognize(self, page: np.ndarray, polygon: Sequence[Point], *, rotation: int = 0) -> RegionResult:
        """Read one region; ``rotation`` (clockwise degrees) turns its text upright first."""
        return self.recognize_many(page, [polygon], rotations=[rotation])[0]

    def recognize_many(self, page: np.ndarray, polygons: Sequence[Sequence[Point]],
                       rotations: Sequence[int] | None = None) -> list[RegionResult]:
        """Read several regions of one page; all their word crops share batches.

        ``rotations``: per region, the clockwise quarter turn that makes its text upright."""
        t0 = time.perf_counter()
        gray = to_gray(page)
        regions: list[tuple[RegionCrop, list]] = []
        crops: list[GrayImage] = []
        turns = list(rotations) if rotations is not None else [0] * len(polygons)
        if len(turns) != len(polygons):
            raise ValueError("one rotation per polygon")
        for polygon, turn in zip(polygons, turns):
            region = crop_polygon(gray, polygon, rotation=turn)
            layout = analyse(region.image, self.layout)
            regions.append((region, layout))
            for line in layout:
                crops.extend(region.image[y0:y1, x0:x1] for x0, y0, x1, y1 in line.words)
        t1 = time.perf_counter()
        decoded = self.read_crops(crops)
        t2 = time.perf_counter()
        results = []
        it = iter(decoded)
        for region, layout in regions:
            lines = []
            for line in layout:
                words = tuple(WordResult(d.text, d.confidences, region.box_to_page(box))
                              for box, d in zip(line.words, it))
                lines.append(LineResult(words, region.box_to_page(line.box)))
            text, confs = join_lines(lines)
            results.append(RegionResult(text, confs, tuple(lines), skew_deg=region.skew_deg))
        t3 = time.perf_counter()
        timings = {"preprocess_ms": (t1 - t0) * 1e3, "infer_ms": (t2 - t1) * 1e3,
                   "decode_ms": (t3 - t2) * 1e3, "total_ms": (t3 - t0) * 1e3, "crops": float(len(crops))}
        return [RegionResult(r.text, r.confidences, r.lines, dict(timings), r.skew_deg) for r in results]
