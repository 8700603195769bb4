"""Region layout: split a region of any size into lines, then into word crops the model reads.

PARSeq reads one word (or, with the space in its charset, a phrase; <= 25 characters) per
32x128 crop. A lassoed line or paragraph is cleaned of rules and specks, split into text lines
by the horizontal ink profile (at blank rows and at near-empty valleys), each line into words
at gaps that the line's own gap widths say are word gaps, and a word too wide for the input into
pieces read separately and joined again. Bands at the region's edge that may be pieces of a
neighbouring line are marked tentative. Words are kept in reading order (top to bottom, left to
right) so the texts join back with spaces and newlines. See docs/decisions/009.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from inference import imageops
from inference.geometry import Box  # boxes here are in crop pixels
from inference.preprocess import GrayImage, ink_mask

SPECK_FRACTION = 0.15  # of the typical glyph height
MIN_WORD_GAP = 0.25  # x line height: no narrower gap separates words (in a short line)
MIN_WORD_GAP_LONG = 0.15  # the same in a line of ten gaps or more
CUT_FRAGMENT = 0.9  # x line height: a shorter band whose glyphs the edge cuts is a fragment
CUT_COLUMNS = 0.15  # ... when this share of its inked columns reach the edge row
EDGE_NEAR = 0.35  # x line height: a band this close to the region's edge was cut by it
SLIVER = 0.35  # a band under this x a neighbour's height, close to it, is part of it
SLIVER_GAP = 0.2  # ... when no farther than this x the neighbour's height
BODY_ROWS = 0.25  # a line's body: its rows with at least this share of its fullest row's ink
BODY_UP = 0.25  # ... and above them this share of their height (capitals, ascenders)
SHORT_LINE_RATIO = 1.5  # x letter_gap_ratio: how far apart the gap kinds of a short line must be
LETTER_SPACED = 2.5  # with one kind of gap only, a word gap is this x the lower quartile
COLUMN_GAP = 1.5  # a gap split this far above the usual word gap is between columns
MONO_MIN_GLYPHS = 6  # glyphs a line needs before it can be told typewritten
MONO_TOLERANCE = 0.12  # centre distances within this share of the pitch are one cell
SKIPPED_CELL = 1.5  # x pitch: centres at least this far apart have a space between them
VALLEY = 0.15  # a row with under this share of its neighbours' ink separates two lines
HORIZONTAL_RULE = 3.0  # straight horizontal runs wider than this x the typical glyph are rules
VERTICAL_RULE = 2.6  # straight vertical runs taller than this x the typical glyph are rules


@dataclass(frozen=True, slots=True)
class LayoutOptions:
    word_gap: float = 0.33  # gap (x line height) that separates words
    min_line_height: int = 5  # px; shorter ink bands are specks or rules
    max_word_aspect: float = 7.0  # wider words are split (a 32x128 crop holds ~25 chars)
    pad: float = 0.12  # padding around a word crop (x line height)
    edge_fragment: float = 0.6  # a band cut by the region's edge and shorter than this (x line
    # height) is part of a neighbouring line, not text to read
    letter_gap_ratio: float = 2.0  # word gaps are told from letter gaps when this much wider
    mark_width: float = 0.4  # narrower marks (x line height), short ones, stay with the word
    # before them across up to twice the word gap
    side_fragment: float = 0.35  # a word cut by the region's left/right edge and narrower than
    # this (x line height) is a piece of a neighbouring word


#: For a model that reads spaces: only clear word gaps cut a line; narrower ones are left to the
#: model, which reads the phrase with its spaces (fax and typewriter text has word gaps no wider
#: than some letter gaps, and a wrong cut splits a word for good).
PHRASE_LAYOUT = LayoutOptions(word_gap=0.6, letter_gap_ratio=4.0, max_word_aspect=9.0)


@dataclass(frozen=True, slots=True)
class LineLayout:
    box: Box
    words: tuple[Box, ...]
    #: per crop: True where it continues the crop before it (a word too wide for the model's
    #: input, cut in pieces): their readings join without a space
    glued: tuple[bool, ...] = ()
    #: a band at the region's edge that may be part of a neighbouring line the lasso cut: kept
    #: only if it reads well (Recognizer)
    tentative: bool = False

    @property
    def word_boxes(self) -> tuple[Box, ...]:
        """One box per word: the crops of a word cut to fit the model, joined again."""
        out: list[Box] = []
        for box, glued in zip(self.words, self.glued or (False,) * len(self.words)):
            if glued and out:
                a = out[-1]
                out[-1] = (min(a[0], box[0]), min(a[1], box[1]), max(a[2], box[2]), max(a[3], box[3]))
            else:
                out.append(box)
        return tuple(out)


def _runs(on: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of consecutive True values."""
    if not on.any():
        return []
    padded = np.concatenate([[False], on, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def clean_ink(ink: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Drop specks and long straight rules (form lines, underlines, box borders) that are not text."""
    if not ink.any():
        return ink
    u8 = ink.astype(np.uint8)
    n, labels, stats = imageops.connected_components(ink)
    areas = stats[:, imageops.CC_AREA]
    heights, widths = stats[:, imageops.CC_HEIGHT], stats[:, imageops.CC_WIDTH]
    keep = areas >= 3
    keep[0] = False
    typical = float(np.median(heights[1:][areas[1:] >= 3])) if keep.any() else 0.0
    if n > 20:
        # Scanner specks: components far smaller than the typical glyph in both directions.
        # (Measured on the glyph-sized components; dots of i/j and full stops are ~0.2-0.3 of it.)
        speck = max(3.0, SPECK_FRACTION * typical)
        keep &= (heights >= speck) | (widths >= speck)
    cleaned: npt.NDArray[np.bool_] = keep[labels]
    h, w = ink.shape
    # Glyphs are measured by the taller of the components (the upper quartile, thin rules left
    # out): the small pieces of neighbouring lines a lasso cut must not make a stem a rule.
    glyphs = keep & (heights <= 8 * np.maximum(widths, 1)) & (widths <= 8 * np.maximum(heights, 1))
    tall = float(np.percentile(heights[glyphs], 75)) if glyphs.any() else typical
    # Horizontal rules (form lines, underlines, typed blanks "_____"): straight runs far wider
    # than any glyph, or a quarter of a narrow region.
    k = max(25, min(w // 4, int(HORIZONTAL_RULE * tall))) if tall else max(25, w // 4)
    rules = imageops.dilate(imageops.erode(u8, k, 1), k, 1) > 0  # an opening: only long runs stay
    if rules.any() and w > 2 * h // 3:
        cleaned &= ~rules
    # Vertical rules (box borders, column lines): straight runs far taller than a glyph. They
    # join the text lines of a boxed field into one band, so no line could be found.
    kv = int(max(12, VERTICAL_RULE * tall))
    if h > kv:
        vertical = imageops.dilate(imageops.erode(u8, 1, kv), 1, kv) > 0
        if vertical.any():
            cleaned &= ~(imageops.dilate(vertical.astype(np.uint8), 3, 1) > 0)
    return cleaned


def find_lines(ink: npt.NDArray[np.bool_], opts: LayoutOptions) -> list[tuple[int, int, bool]]:
    """Rows [y0, y1) of each text line, top to bottom, and whether it is tentative: a band at
    the region's edge that may be a neighbouring line the lasso cut (see _edge_fragments). Only
    its reading can tell a cut fragment (junk, unsure) from a short line the lasso touched."""
    profile = ink.sum(1)
    if profile.max(initial=0) == 0:
        return []
    threshold = max(1, int(0.02 * profile.max()))
    bands = _runs(profile >= threshold)
    bands = [(a, b) for a, b in bands if b - a >= 2]
    if not bands:
        return []
    bands = _merge_slivers([part for band in bands for part in _split_at_valleys(profile, *band)], len(profile))
    # A typical line height, robust to a few tall bands (touching handwritten lines, a logo):
    # the median of the bands that could be text. Smaller bands (dots, accents, punctuation)
    # are merged into the nearest line.
    heights = [b - a for a, b in bands if b - a >= opts.min_line_height] or [max(b - a for a, b in bands)]
    # With only a few bands that median is weak (a word and the row of its i-dots give two), so a
    # line must also be at least half as tall as a typical glyph.
    min_h = max(opts.min_line_height, int(0.35 * float(np.median(heights))), int(0.5 * _glyph_height(ink)))
    fragments = _edge_fragments(bands, ink, min_h, opts)
    lines = [[a, b, (a, b) in fragments] for a, b in bands if b - a >= min_h]
    if not lines:
        return []
    for a, b in bands:
        if b - a >= min_h or (a, b) in fragments:
            continue
        nearest = min(lines, key=lambda ln: min(abs(a - ln[1]), abs(ln[0] - b)))
        if min(abs(a - nearest[1]), abs(nearest[0] - b)) <= 0.5 * (nearest[1] - nearest[0]):
            nearest[0], nearest[1] = min(nearest[0], a), max(nearest[1], b)
    return [(a, b, bool(t)) for a, b, t in sorted(lines)]


def _merge_slivers(bands: list[tuple[int, int]], height: int) -> list[tuple[int, int]]:
    """Bands joined to a much taller neighbour a row or two away: the descenders, i-dots and
    accents of that line, set apart by the few rows where only thin strokes pass. (Not those at
    the region's edge: they may be pieces of a neighbouring line, see _edge_fragments.) Each is
    measured against its neighbours as found, so merges never snowball down a page."""
    into = list(range(len(bands)))
    for i, (a, b) in enumerate(bands):
        if a <= 2 or b >= height - 2:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(bands):
                continue
            na, nb = bands[j]
            gap = a - nb if j < i else na - b
            if b - a < SLIVER * (nb - na) and gap <= SLIVER_GAP * (nb - na):
                into[i] = j
                break
    merged: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(bands):
        target = into[i] if into[into[i]] == into[i] else i  # a sliver's sliver stays alone
        box = merged.setdefault(target, [a, b])
        box[0], box[1] = min(box[0], a), max(box[1], b)
    return sorted((a, b) for a, b in merged.values())


def _split_at_valleys(profile: npt.NDArray[np.int64], a: int, b: int) -> list[tuple[int, int]]:
    """A band split where its rows hold almost no ink between two inked parts: lines whose
    descenders and ascenders touch, or the clipped edge of a neighbouring line joined to a line
    by a stray stroke. A row counts as a valley when it has under VALLEY x the ink of the
    fuller rows on both sides of it."""
    if b - a < 6:
        return [(a, b)]
    rows = profile[a:b].astype(np.float64)
    before = np.maximum.accumulate(rows)
    after = np.maximum.accumulate(rows[::-1])[::-1]
    inner = np.arange(2, len(rows) - 2)
    depth = rows[inner] / np.maximum(1.0, np.minimum(before[inner - 1], after[inner + 1]))
    valleys = inner[depth <= VALLEY]
    if valleys.size == 0:
        return [(a, b)]
    cut = a + int(valleys[np.argmin(depth[depth <= VALLEY])])
    return _split_at_valleys(profile, a, cut) + _split_at_valleys(profile, cut + 1, b)


def _glyph_height(ink: npt.NDArray[np.bool_]) -> float:
    """Median height of the ink's connected components (glyphs, mostly)."""
    n, _, stats = imageops.connected_components(ink)
    if n <= 1:
        return 0.0
    return float(np.median(stats[1:, imageops.CC_HEIGHT]))


def _edge_fragments(
    bands: list[tuple[int, int]], ink: npt.NDArray[np.bool_], min_h: int, opts: LayoutOptions
) -> set[tuple[int, int]]:
    """The bands that may be cut by the region's top or bottom edge: the tops or bottoms of
    neighbouring lines a hand-drawn lasso or a loose rectangle clipped. Read as lines, they turn
    into invented words; merged into the line next to them, they spoil its crops.

    A band is a candidate when it is much shorter than the region's lines and lies at (or a row
    or two from) the edge, or when it is somewhat shorter and the edge cuts through its glyphs
    (many of its inked columns run into the edge row). A short line of x-height letters that a
    tight lasso touches looks the same, so a candidate is not dropped here: it is read, and kept
    only when it reads well. The tallest band is never a candidate."""
    height = ink.shape[0]
    inner = [b - a for a, b in bands if a > 0 and b < height and b - a >= min_h]
    # A tight crop whose lines all touch its edges: measure against the tallest band.
    tallest = max(bands, key=lambda band: band[1] - band[0])
    line_h = float(np.median(inner)) if inner else float(tallest[1] - tallest[0])
    near = max(2.0, EDGE_NEAR * line_h)

    def cut_through(a: int, b: int) -> bool:
        if b - a >= CUT_FRAGMENT * line_h or (a > 0 and b < height):
            return False
        columns = ink[a:b].any(0).sum()
        edge = ink[0 if a == 0 else height - 1].sum()
        return bool(columns > 0 and edge >= CUT_COLUMNS * columns)

    return {
        (a, b)
        for a, b in bands
        if (a, b) != tallest
        and (((a <= near or b >= height - near) and b - a < opts.edge_fragment * line_h) or cut_through(a, b))
    }


def _drop_side_fragments(
    words: list[tuple[int, int]], width: int, line_h: int, opts: LayoutOptions
) -> list[tuple[int, int]]:
    """Without a narrow first/last word cut by the region's left/right edge: the end of a
    neighbouring word that the lasso clipped (read, it adds a stray letter or mark)."""

    def fragment(x0: int, x1: int) -> bool:
        return (x0 == 0 or x1 == width) and x1 - x0 < opts.side_fragment * line_h

    if len(words) > 1 and fragment(*words[-1]):
        words = words[:-1]
    if len(words) > 1 and fragment(*words[0]):
        words = words[1:]
    return words


def split_into_words(line_ink: npt.NDArray[np.bool_], opts: LayoutOptions) -> list[tuple[int, int]]:
    """Columns [x0, x1) of each word in one line, left to right.

    Gaps are measured in the line's body (the rows that hold most of its ink: the x-height
    band), where descenders, ascenders and the cut strokes of a neighbouring line cannot bridge
    them; the words then take every inked column between two word gaps."""
    h = line_ink.shape[0]
    full = cast(npt.NDArray[np.bool_], line_ink.any(0))
    if not full.any():
        return []
    rows = line_ink.sum(1)
    core = np.flatnonzero(rows >= BODY_ROWS * rows.max())
    # Up to the capitals' height, so that the bar of a T or F still joins its word.
    top = max(0, int(core[0] - BODY_UP * (core[-1] - core[0] + 1)))
    cols = _runs(cast(npt.NDArray[np.bool_], line_ink[top : core[-1] + 1].any(0))) if core.size >= 3 else _runs(full)
    if not cols:
        cols = _runs(full)
    # The line's own height, from its capitals down: strokes above them (a cut line) don't count.
    inked_rows = np.flatnonzero(rows)
    ink_height = max(1, int(inked_rows[-1]) + 1 - max(top if core.size >= 3 else 0, int(inked_rows[0])))
    h = min(h, ink_height + 2)
    gap_threshold = word_gap_threshold([b[0] - a[1] for a, b in itertools.pairwise(cols)], h, opts)

    def trailing_mark(a: int, b: int) -> bool:
        # A full stop, comma or colon set a little apart from its word (typewriters, fax): narrow
        # and short. Read alone it becomes "_", "=" or "-".
        ink_rows = (
            np.flatnonzero(line_ink[top:, a:b].any(1)) if core.size >= 3 else np.flatnonzero(line_ink[:, a:b].any(1))
        )
        return bool(b - a < opts.mark_width * h and ink_rows[-1] - ink_rows[0] + 1 < 0.7 * ink_height)

    pitch = _monospace_pitch(cols)
    cuts = []
    last = cols[0]
    for a, b in cols[1:]:
        gap = a - last[1]
        if pitch is not None:
            # Typewriter text: every glyph sits in a cell of the same width, so a word gap is a
            # skipped cell, whatever the ink gap (a 1 or a colon leaves a wide one in its cell).
            is_word_gap = (a + b) / 2 - (last[0] + last[1]) / 2 >= SKIPPED_CELL * pitch and gap > 1
        else:
            is_word_gap = gap > gap_threshold and not (gap <= 2 * gap_threshold and trailing_mark(a, b))
        if is_word_gap:
            cuts.append((last[1] + a) // 2)
        last = (a, b)
    words = []
    for x0, x1 in zip([0, *cuts], [*cuts, len(full)]):
        inked = np.flatnonzero(full[x0:x1])
        if inked.size:
            words.append((x0 + int(inked[0]), x0 + int(inked[-1]) + 1))
    return words


def _monospace_pitch(cols: list[tuple[int, int]]) -> float | None:
    """The cell width of typewriter (monospaced) text, or None for proportional text.

    In typewritten text nearly every column run is one glyph, each in a cell of the same width,
    so the distances between neighbouring runs' centres cluster at one value (within a word)
    or twice it (across a space). Proportional print varies far more."""
    if len(cols) < MONO_MIN_GLYPHS:
        return None
    centres = np.array([(a + b) / 2 for a, b in cols])
    widths = np.array([b - a for a, b in cols], np.float64)
    d = np.diff(centres)
    pitch = float(np.median(d))
    if pitch <= 2 or widths.max() > 1.3 * pitch:  # runs wider than a cell: glyphs touch
        return None
    near = np.abs(d - pitch) <= MONO_TOLERANCE * pitch
    double = np.abs(d - 2 * pitch) <= MONO_TOLERANCE * 2 * pitch
    return pitch if near.mean() >= 0.6 and (near | double).mean() >= 0.85 else None


def word_gap_threshold(gaps: list[int], h: int, opts: LayoutOptions) -> float:
    """The gap width (px) above which a gap in a line of height ``h`` separates words.

    A line's gaps are of two kinds, between letters and between words, and their widths vary
    with the type: letter-spaced typewriter capitals have letter gaps near a third of the line
    height, while proportional print at fax resolution has touching letters, so nearly every gap
    is a word gap. Otsu's split of the line's own gap widths finds the two kinds where they are
    clearly apart (the wider at least ``letter_gap_ratio`` x the narrower and not tiny); else
    every gap is judged by its size against the line height alone (``word_gap``)."""
    base = max(2.0, opts.word_gap * h)
    if len(gaps) < 3:
        return base
    # In a long line the two kinds are measured well; in a word or two, wider letter gaps could
    # pass for word gaps, so a word gap must be wider there.
    least = MIN_WORD_GAP * h if len(gaps) < 10 else MIN_WORD_GAP_LONG * h
    g = np.sort(np.asarray(gaps, np.float64))
    # ... and the two kinds must stand further apart: a short line is often one word.
    ratio = opts.letter_gap_ratio if len(gaps) >= 10 else SHORT_LINE_RATIO * opts.letter_gap_ratio
    threshold = _clear_split(g, least, ratio)
    if threshold is not None and threshold > COLUMN_GAP * base:
        # A split far above the usual word gap is between the line's columns (tab stops, form
        # fields) and the rest: the word gaps are among the rest.
        threshold = _clear_split(g[g <= threshold], max(least, 1.0 * base), ratio) or threshold
    if threshold is None:
        # No two kinds of gap: all letter gaps (a word, or letter-spaced typewriter capitals,
        # whose letter gaps reach a third of the line height) or all word gaps. A word gap is
        # then also well above the line's usual gap (its lower quartile).
        return max(base, LETTER_SPACED * float(np.percentile(gaps, 25)))
    return threshold


def _clear_split(g: npt.NDArray[np.float64], least: float, ratio: float) -> float | None:
    """Otsu's two-class split of sorted gap widths, when the two are clearly apart: the wider at
    least ``ratio`` x the narrower and at least ``least`` px. Its threshold, or None."""
    if len(g) < 3:
        return None
    best, split = -1.0, None
    for i in range(1, len(g)):
        if g[i] == g[i - 1]:
            continue
        lo, hi = g[:i], g[i:]
        between = len(lo) * len(hi) * (hi.mean() - lo.mean()) ** 2
        if between > best:
            best, split = between, (float(g[i - 1]), float(g[i]), float(lo.mean()), float(hi.mean()))
    if split is None:
        return None
    below, above, lo_mean, hi_mean = split
    if hi_mean >= ratio * max(lo_mean, 1.0) and above >= least:
        return max(2.0, below)
    return None


def _split_long(word_ink: npt.NDArray[np.bool_], offset: int, opts: LayoutOptions) -> list[tuple[int, int]]:
    """Cut a crop too wide for the model's input (it would be squeezed past reading) at its
    widest gap away from the ends, or at its emptiest column where there is none; recursively."""
    h, w = word_ink.shape
    if w <= opts.max_word_aspect * h:
        return [(offset, offset + w)]
    profile = word_ink.sum(0)
    lo, hi = int(0.15 * w), int(0.85 * w)
    gaps = [(b - a, -abs((a + b) / 2 - w / 2), (a + b) // 2) for a, b in _runs(profile[lo:hi] == 0)]
    if gaps:
        cut = lo + max(gaps)[2]
    else:
        window = profile[w // 4 : 3 * w // 4]
        cut = w // 4 + int(np.argmin(window)) if window.size else w // 2
    return _split_long(word_ink[:, :cut], offset, opts) + _split_long(word_ink[:, cut:], offset + cut, opts)


def analyse(gray: GrayImage, opts: LayoutOptions | None = None) -> list[LineLayout]:
    """Lines and word boxes (crop pixels, padded, clipped) in reading order."""
    opts = opts or LayoutOptions()
    ink = clean_ink(ink_mask(gray))
    h, w = ink.shape
    lines = []
    for y0, y1, tentative in find_lines(ink, opts):
        line_h = y1 - y0
        words, glued = [], []
        pad = max(2, round(opts.pad * line_h))
        for a, b in _drop_side_fragments(split_into_words(ink[y0:y1], opts), w, line_h, opts):
            first = True  # the word's first crop; any further one continues it
            for x0, x1 in _split_long(ink[y0:y1, a:b], a, opts):
                rows = np.flatnonzero(ink[y0:y1, x0:x1].any(1))
                if rows.size == 0:
                    continue
                wy0, wy1 = y0 + int(rows[0]), y0 + int(rows[-1]) + 1
                words.append(
                    (max(0, x0 - pad), max(0, min(wy0, y0) - pad), min(w, x1 + pad), min(h, max(wy1, y1) + pad))
                )
                glued.append(not first)
                first = False
        if words:
            box = (
                min(b[0] for b in words),
                min(b[1] for b in words),
                max(b[2] for b in words),
                max(b[3] for b in words),
            )
            lines.append(LineLayout(box, tuple(words), tuple(glued), tentative))
    return lines
