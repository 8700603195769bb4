"""Held-out words in the held-out font, for the release report and the held-out test.

Words: ``training.corpus.HELDOUT_WORDS`` (the sampler never emits them), every third
capitalised. Font: URW P052 Roman and Bold (``training.render.HELDOUT_FONT``), which training
never uses. Each word is printed alone on a page as a clean 200-dpi print.

Two ways of reading them:

* :func:`heldout_lassos` -- what the app does: a hand-drawn lasso (an irregular loop with
  uneven margins) around the word, read with ``Recognizer.recognize`` (crop, layout, word
  crops, recogniser). This is the measure of "reads unseen words".
* :func:`heldout_canvas_crops` -- the word's whole text canvas (its line box plus the empty
  line gap below it) handed to the recogniser as one crop, bypassing the layout: a stress test
  of loose, off-centre crops, reported beside the first.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from inference.geometry import Point


@dataclass(frozen=True, slots=True)
class HeldoutLasso:
    page: npt.NDArray[np.uint8]
    lasso: list[Point]
    truth: str


def heldout_fonts() -> list[Path]:
    from training.render import FONT_ROOT, HELDOUT_FONT

    wanted = {f"{HELDOUT_FONT}-Roman", f"{HELDOUT_FONT}-Bold"}
    return sorted(
        p for p in FONT_ROOT.rglob(f"{HELDOUT_FONT}-*") if p.suffix.lower() in (".otf", ".ttf") and p.stem in wanted
    )


def _truths(n: int) -> list[str]:
    from training.corpus import HELDOUT_WORDS

    return [w.capitalize() if i % 3 == 0 else w for i, w in enumerate(sorted(HELDOUT_WORDS)[:n])]


def heldout_canvas_crops(n: int = 80) -> tuple[list[npt.NDArray[np.uint8]], list[str]]:
    """Each word's text canvas as one crop. Empty when the held-out fonts are missing."""
    from inference.textimage import render_lines

    fonts = heldout_fonts()
    if not fonts:
        return [], []
    truths = _truths(n)
    crops = [
        render_lines([t], font_size=34, margin=6, font_path=str(fonts[i % len(fonts)])).image
        for i, t in enumerate(truths)
    ]
    return crops, truths


def hand_lasso(box: tuple[float, float, float, float], rng: random.Random, page_size: tuple[int, int]) -> list[Point]:
    """An irregular closed loop around ``box`` (x0, y0, x1, y1), as a person draws one: a
    rounded rectangle with uneven margins (0.2-0.9 of the text height sideways, 0.15-0.6 above
    and below), a wobbling radius and 24 points; kept inside the page."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    left, right = h * rng.uniform(0.2, 0.9), h * rng.uniform(0.2, 0.9)
    top, bottom = h * rng.uniform(0.15, 0.6), h * rng.uniform(0.15, 0.6)
    cx = (x0 - left + x1 + right) / 2
    cy = (y0 - top + y1 + bottom) / 2
    a = (x1 + right - (x0 - left)) / 2
    b = (y1 + bottom - (y0 - top)) / 2
    # A superellipse |x/a|^4 + |y/b|^4 = 1 scaled so the box corners stay inside it.
    corner = max((abs(x - cx) / a) ** 4 + (abs(y - cy) / b) ** 4 for x in (x0, x1) for y in (y0, y1))
    grow = max(1.0, corner**0.25) * 1.04
    phase = rng.uniform(0, 2 * math.pi)
    width, height = page_size
    points = []
    for k in range(24):
        t = 2 * math.pi * k / 24
        c, s = math.cos(t), math.sin(t)
        wobble = 1 + 0.03 * math.sin(3 * t + phase)
        px = cx + grow * wobble * a * math.copysign(abs(c) ** 0.5, c)
        py = cy + grow * wobble * b * math.copysign(abs(s) ** 0.5, s)
        points.append((min(max(px, 0.0), width - 1.0), min(max(py, 0.0), height - 1.0)))
    return points


def heldout_lassos(n: int = 80, seed: int = 0) -> list[HeldoutLasso]:
    """Each word alone on a page with a hand-drawn lasso around it. Empty when the held-out
    fonts are missing."""
    from inference.textimage import render_lines

    fonts = heldout_fonts()
    if not fonts:
        return []
    rng = random.Random(seed)
    out = []
    for i, truth in enumerate(_truths(n)):
        rendered = render_lines([truth], font_size=34, margin=60, font_path=str(fonts[i % len(fonts)]))
        ((_, box),) = rendered.lines[0]
        page = rendered.image
        out.append(HeldoutLasso(page, hand_lasso(box, rng, (page.shape[1], page.shape[0])), truth))
    return out


def heldout_line_lassos(n: int = 40, seed: int = 0, space: float = 0.55) -> list[HeldoutLasso]:
    """Lines of 3-5 held-out words in the held-out font, set with narrow word gaps (``space`` x
    the font's own word space, as fax and typewriter lines are), each alone on a page with a
    hand-drawn lasso around it. The measure of "reads a lassoed line with its spaces". Empty
    when the held-out fonts are missing."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = heldout_fonts()
    if not fonts:
        return []
    rng = random.Random(seed)
    words = _truths(10 * n)
    out = []
    for i in range(n):
        line = [words[rng.randrange(len(words))] for _ in range(rng.randint(3, 5))]
        font = ImageFont.truetype(str(fonts[i % len(fonts)]), 34)
        gap = font.getlength(" ") * space
        width = int(sum(font.getlength(w) for w in line) + gap * (len(line) - 1)) + 120
        page = Image.new("L", (width, 160), 255)
        draw = ImageDraw.Draw(page)
        x, boxes = 60.0, []
        for word in line:
            draw.text((x, 60), word, font=font, fill=0)
            boxes.append(draw.textbbox((x, 60), word, font=font))
            x += font.getlength(word) + gap
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        image = np.asarray(page, dtype=np.uint8)
        out.append(HeldoutLasso(image, hand_lasso(box, rng, (image.shape[1], image.shape[0])), " ".join(line)))
    return out
