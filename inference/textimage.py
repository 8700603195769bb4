"""Render known text to a page image with exact word boxes.

Used by ``notelasso-ocr bench`` (regions of known size) and by the tests (layout checks
against ground-truth boxes). Fonts come from the system; Pillow's built-in font is the
fallback, so this works on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from inference.geometry import Box, Point

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
)


@dataclass(frozen=True, slots=True)
class RenderedText:
    image: npt.NDArray[np.uint8]  # gray page, dark ink on white
    lines: tuple[tuple[tuple[str, Box], ...], ...]  # per line: (word, box in page pixels)

    @property
    def text(self) -> str:
        return "\n".join(" ".join(word for word, _ in line) for line in self.lines)

    def region(self, pad: int = 8) -> list[Point]:
        """A rectangle around all the text, as a lasso would be drawn."""
        boxes = [box for line in self.lines for _, box in line]
        x0 = min(b[0] for b in boxes) - pad
        y0 = min(b[1] for b in boxes) - pad
        x1 = max(b[2] for b in boxes) + pad
        y1 = max(b[3] for b in boxes) + pad
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


@lru_cache(maxsize=16)
def load_font(size: int, path: str | None = None) -> ImageFont.FreeTypeFont:
    for candidate in ([path] if path else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return cast(ImageFont.FreeTypeFont, ImageFont.load_default(size))  # FreeType's default font, given a size


def render_lines(
    lines: Sequence[str],
    *,
    font_size: int = 28,
    margin: int = 40,
    line_gap: float = 0.8,
    width: int | None = None,
    font_path: str | None = None,
) -> RenderedText:
    """Draw ``lines`` (words separated by single spaces) and return the image and word boxes."""
    font = load_font(font_size, font_path)
    space = font.getlength(" ")
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    step = int(line_h * (1 + line_gap))
    needed = max((font.getlength(line) for line in lines), default=0)
    page_w = width or int(needed + 2 * margin)
    page_h = int(2 * margin + step * max(1, len(lines)))
    img = Image.new("L", (page_w, page_h), 255)
    draw = ImageDraw.Draw(img)
    out = []
    for i, line in enumerate(lines):
        y = margin + i * step
        x = float(margin)
        words = []
        for word in line.split(" "):
            if not word:
                x += space
                continue
            draw.text((x, y), word, font=font, fill=0)
            left, top, right, bottom = draw.textbbox((x, y), word, font=font)
            words.append((word, (int(left), int(top), int(np.ceil(right)), int(np.ceil(bottom)))))
            x += font.getlength(word) + space
        out.append(tuple(words))
    return RenderedText(np.asarray(img, dtype=np.uint8), tuple(out))
