"""Recognizer = pre-processing + layout + a back end + decoding."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from inference.backends.base import Backend
from inference.decoding import Decoded, decode_logits
from inference.documents import to_gray
from inference.geometry import Box, Point
from inference.layout import PHRASE_LAYOUT, LayoutOptions, LineLayout, analyse
from inference.preprocess import (
    GrayImage,
    RegionCrop,
    crop_polygon,
    pad_to_aspect,
    pixel_bounds,
    resize_normalise,
)
from inference.spec import ModelSpec
from inference.vocabulary import Vocabulary, correct, split_merged


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
    auto_turn: int = 0  # clockwise quarter turn the recogniser found upright, beyond the one asked for

    @property
    def words(self) -> list[WordResult]:
        return [w for line in self.lines for w in line.words]

    @property
    def min_confidence(self) -> float:
        return min(self.confidences, default=1.0)


def join_lines(lines: Sequence[LineResult]) -> tuple[str, tuple[float, ...]]:
    parts: list[str] = []
    confs: list[float] = []
    for _li, line in enumerate(lines):
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

    def __init__(
        self,
        backend: Backend,
        *,
        batch_size: int = 32,
        layout: LayoutOptions | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self._layout_given = layout is not None
        self.layout = layout or LayoutOptions()
        #: known words: a word the model nearly read as one is read as it (inference/vocabulary.py);
        #: may be set later (the app's word lists load after the first page is shown)
        self.vocabulary = vocabulary

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
            logits = self.backend.infer(batch[start : start + self.batch_size])
            out.extend(decode_logits(logits, spec))
        return out

    def recognize(self, page: np.ndarray, polygon: Sequence[Point], *, rotation: int = 0) -> RegionResult:
        """Read one region; ``rotation`` (clockwise degrees) turns its text upright first."""
        return self.recognize_many(page, [polygon], rotations=[rotation])[0]

    def recognize_many(
        self, page: np.ndarray, polygons: Sequence[Sequence[Point]], rotations: Sequence[int] | None = None
    ) -> list[RegionResult]:
        """Read several regions of one page; all their word crops share batches.

        ``rotations``: per region, the clockwise quarter turn that makes its text upright, as the
        reviewer sees it. A region whose text still runs vertically (taller than wide) or reads
        with low confidence is also read a quarter turn either way, and upside down, and the
        most confident reading is kept: a sideways id along a page edge, or a region of a page
        scanned sideways, comes out upright without the reviewer turning anything."""
        t0 = time.perf_counter()
        gray = _gray_where_read(page, polygons)
        turns = list(rotations) if rotations is not None else [0] * len(polygons)
        if len(turns) != len(polygons):
            raise ValueError("one rotation per polygon")
        read, crop_count = self._read(gray, polygons, turns)
        results = [r for r, _ in read]
        best = [_orientation_score(*pair) for pair in read]
        retry = [i for i, pair in enumerate(read) if _may_be_turned(*pair)]
        if retry:
            tries = [(i, extra) for i in retry for extra in ((90, 270) if _is_tall(read[i][1]) else (90, 180, 270))]
            others, more = self._read(
                gray, [polygons[i] for i, _ in tries], [(turns[i] + extra) % 360 for i, extra in tries]
            )
            crop_count += more
            for (i, extra), (other, extent) in zip(tries, others):
                score = _orientation_score(other, extent)
                if score > best[i] + (ORIENTATION_MARGIN if results[i].auto_turn == 0 else 0.0):
                    results[i], best[i] = replace(other, auto_turn=extra), score
        t1 = time.perf_counter()
        timings = {"total_ms": (t1 - t0) * 1e3, "crops": float(crop_count)}
        return [replace(r, timings_ms={**r.timings_ms, **timings}) for r in results]

    def _read(
        self, gray: GrayImage, polygons: Sequence[Sequence[Point]], turns: Sequence[int]
    ) -> tuple[list[tuple[RegionResult, tuple[int, int]]], int]:
        """Crop, lay out, read in shared batches and assemble each region, with the (height,
        width) of its lines' extent in the turned crop; also the number of crops read."""
        t0 = time.perf_counter()
        regions: list[tuple[RegionCrop, list[LineLayout]]] = []
        crops: list[GrayImage] = []
        for polygon, turn in zip(polygons, turns):
            region = crop_polygon(gray, polygon, rotation=turn)
            layout = analyse(region.image, self.layout_options)
            regions.append((region, layout))
            for line in layout:
                crops.extend(
                    pad_to_aspect(region.image[y0:y1, x0:x1], MIN_CROP_ASPECT) for x0, y0, x1, y1 in line.words
                )
        t1 = time.perf_counter()
        decoded = self.read_crops(crops)
        t2 = time.perf_counter()
        results = []
        it = iter(decoded)
        for region, layout in regions:
            lines = []
            for line in layout:
                words: list[WordResult] = []
                glued = line.glued or (False,) * len(line.words)
                read = [next(it) for _ in line.words]
                if self.vocabulary is not None:
                    read = _with_vocabulary(read, glued, self.vocabulary)
                keep = _not_side_fragments(line.words, read, glued, region.image.shape[1])
                for k in keep:
                    box, d, glue = line.words[k], read[k], glued[k]
                    pieces = _split_at_spaces(d, box, region)
                    if _closing_only(d.text) and words and pieces:
                        glue = True  # closing punctuation never follows a space: "Comments :" was a wide gap
                    if glue and words and pieces and d.text[:1] != " ":
                        words[-1] = _joined(words[-1], pieces[0])
                        pieces = pieces[1:]
                    words.extend(pieces)
                if line.tentative and not _reads_well(read):
                    continue  # a piece of a neighbouring line the lasso cut: it read as junk
                lines.append(LineResult(tuple(words), region.box_to_page(line.box)))
            text, confs = join_lines(lines)
            extent = (
                max((ln.box[3] for ln in layout), default=0) - min((ln.box[1] for ln in layout), default=0),
                max((ln.box[2] for ln in layout), default=0) - min((ln.box[0] for ln in layout), default=0),
            )
            results.append((RegionResult(text, confs, tuple(lines), skew_deg=region.skew_deg), extent))
        t3 = time.perf_counter()
        timings = {"preprocess_ms": (t1 - t0) * 1e3, "infer_ms": (t2 - t1) * 1e3, "decode_ms": (t3 - t2) * 1e3}
        return [(replace(r, timings_ms=dict(timings)), extent) for r, extent in results], len(crops)

    @property
    def layout_options(self) -> LayoutOptions:
        """The layout options for this model: one that reads spaces is given whole phrases
        wherever a gap is not clearly a word gap (it finds the spaces there itself)."""
        if self._layout_given or " " not in self.spec.charset:
            return self.layout
        return PHRASE_LAYOUT


def _gray_where_read(page: np.ndarray, polygons: Sequence[Sequence[Point]]) -> GrayImage:
    """The page in gray where the polygons can read it (their joint :func:`pixel_bounds`, which
    is what ``crop_polygon`` cuts); elsewhere undefined. Converting a whole colour page costs tens of
    milliseconds on a small CPU, most of a lassoed line's time."""
    if page.ndim == 2:
        return page
    try:
        pts = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons])
    except ValueError:
        pts = np.empty((0, 2))
    if pts.size == 0 or not np.isfinite(pts).all():
        return to_gray(page)  # crop_polygon says what is wrong with them
    h, w = page.shape[:2]
    x0, y0, x1, y1 = pixel_bounds(pts, h, w)
    gray = np.empty((h, w), dtype=np.uint8)
    if x1 > x0 and y1 > y0:
        gray[y0:y1, x0:x1] = to_gray(page[y0:y1, x0:x1])
    return gray


#: Word crops narrower than this x their height are widened with paper before reading.
MIN_CROP_ASPECT = 1.0

#: A line at the region's edge that may be a cut piece of a neighbouring line is kept only when
#: its characters read with at least this mean confidence, and nearly all its crops read as text.
KEEP_TENTATIVE = 0.85
KEEP_TENTATIVE_CROPS = 0.75


def _with_vocabulary(read: list[Decoded], glued: Sequence[bool], vocabulary: Vocabulary) -> list[Decoded]:
    """The line's readings with each whole word (not a piece of a word cut to fit the model)
    read with the vocabulary, and two words read together split again."""
    out = []
    for k, d in enumerate(read):
        piece = glued[k] or (k + 1 < len(glued) and glued[k + 1])
        out.append(d if piece else split_merged(correct(d, vocabulary), vocabulary))
    return out


#: A one-character reading of a word cut by the region's left or right edge is a piece of a
#: neighbouring glyph or rule ("8 activity.", "Project 1", "EVENT LOCATION -") when it is unsure
#: or a mark that fragments read as; a real first or last word is rarely one character cut by
#: the lasso.
SIDE_FRAGMENT_CONFIDENCE = 0.8
FRAGMENT_MARKS = frozenset("-_.,:;'`\"|()*~^")
#: A word of only these characters belongs to the word before it.
CLOSING_PUNCTUATION = frozenset(":;,.!?%)")


def _not_side_fragments(boxes: Sequence[Box], read: Sequence[Decoded], glued: Sequence[bool], width: int) -> list[int]:
    """The indices of a line's words without a first or last word that is a fragment cut by the
    region's side (above); a line of one word keeps it."""

    def fragment(k: int, left: bool) -> bool:
        text, confs = read[k].text.strip(), read[k].confidences
        cut = boxes[k][0] <= 1 if left else boxes[k][2] >= width - 1
        return (
            cut
            and not glued[k]
            and len(text) == 1
            and (min(confs, default=0.0) < SIDE_FRAGMENT_CONFIDENCE or text in FRAGMENT_MARKS)
        )

    keep = list(range(len(read)))
    if len(keep) > 1 and fragment(keep[-1], left=False):
        keep.pop()
    if len(keep) > 1 and fragment(keep[0], left=True):
        keep.pop(0)
    return keep


def _closing_only(text: str) -> bool:
    text = text.strip()
    return bool(text) and all(c in CLOSING_PUNCTUATION for c in text)


def _reads_well(read: Sequence[Decoded]) -> bool:
    """A line read as text, not as the junk (or nothing) that pieces of glyphs read as."""
    confs = [c for d in read for c in d.confidences]
    texts = sum(bool(d.text.strip()) for d in read)
    return bool(confs) and float(np.mean(confs)) >= KEEP_TENTATIVE and texts >= KEEP_TENTATIVE_CROPS * len(read)


#: Orientation: a region is read at other quarter turns when its lines are taller than wide or its
#: reading is this unsure (mean character confidence), and another turn must beat it by a margin.
LOW_CONFIDENCE = 0.55
ORIENTATION_MARGIN = 0.1


def _is_tall(extent: tuple[int, int]) -> bool:
    """Text whose lines together are much taller than wide runs down the crop, not across it."""
    return extent[0] > 1.5 * extent[1]


def _may_be_turned(result: RegionResult, extent: tuple[int, int]) -> bool:
    if not result.text:
        return False
    return _is_tall(extent) or (_word_confidence(result.words) < LOW_CONFIDENCE and len(result.words) <= 12)


def _word_confidence(words: Sequence[WordResult]) -> float:
    confs = [c for w in words for c in w.confidences]
    return float(np.mean(confs)) if confs else 0.0


def _orientation_score(result: RegionResult, extent: tuple[int, int]) -> float:
    """How upright a reading looks: its mean character confidence, less when its text runs
    down the crop (upright text is mostly wider than tall)."""
    if not result.text:
        return 0.0
    return _word_confidence(result.words) - (0.15 if _is_tall(extent) else 0.0)


def _joined(a: WordResult, b: WordResult) -> WordResult:
    """Two pieces of one word, read from the two crops it was cut into."""
    box = (min(a.box[0], b.box[0]), min(a.box[1], b.box[1]), max(a.box[2], b.box[2]), max(a.box[3], b.box[3]))
    return WordResult(a.text + b.text, a.confidences + b.confidences, box)


def _split_at_spaces(decoded: Decoded, box: Box, region: RegionCrop) -> list[WordResult]:
    """One crop's reading as words: a phrase the model read with spaces becomes one word per
    token, each with its share of the crop's width (by characters) as its box."""
    text, confs = decoded.text, decoded.confidences
    tokens = [t for t in text.split(" ") if t]
    if len(tokens) <= 1:
        return [
            WordResult(text.strip(" "), tuple(c for ch, c in zip(text, confs) if ch != " "), region.box_to_page(box))
        ]
    x0, y0, x1, y1 = box
    per_char = (x1 - x0) / max(1, len(text))
    out, start = [], 0
    for token in tokens:
        i = text.index(token, start)
        j = i + len(token)
        wx0, wx1 = x0 + round(i * per_char), x0 + round(j * per_char)
        out.append(WordResult(token, tuple(confs[i:j]), region.box_to_page((wx0, y0, max(wx1, wx0 + 1), y1))))
        start = j
    return out
