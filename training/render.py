"""WordRenderer: one word, rendered with a system font and degraded like a 1990s fax/photocopy.

Pipeline (all on small arrays, numpy/cv2): PIL draws the word (with optional neighbouring
words on the same line) as an ink mask at 100-300 dpi equivalent; form lines, box borders and
fragments of the lines above/below are added to the mask; a rotation+shear warp; a lasso-like
crop with uneven margins; ink bleed/erosion; downsampling to ~100 dpi; compositing on grey,
uneven paper; blur, thresholding, salt-and-pepper, JPEG, contrast.
"""

from __future__ import annotations

import random
import re
from collections import OrderedDict
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from inference.spec import PARSEQ_CHARSET

FONT_ROOT = Path("/usr/share/fonts")
#: Font family (file-name prefix) kept out of the default training list, for a held-out test.
HELDOUT_FONT = "P052"
_FONT_SUFFIXES = {".ttf", ".otf", ".pfb"}
_BLOCKED = re.compile(r"symbol|dingbat|D050000L|math|music|emoji|fallback|ExtraLight", re.I)
_NOTO_LATIN = re.compile(r"^Noto(Sans|Serif|Mono)(Mono|Display)?-")
_MAX_MISSING = 4  # fonts may lack a few charset glyphs; the renderer avoids them per word

CATEGORY_WEIGHTS = {
    "serif": 0.22,
    "sans": 0.20,
    "mono": 0.25,
    "condensed": 0.08,
    "bold": 0.12,
    "hand": 0.13,
}
_CAP_RATIO = 0.70  # cap height / font size, roughly, across these fonts
_SIZES = (14, 17, 20, 24, 28, 34, 42, 52)
_SIZE_WEIGHTS = (3, 4, 4, 3, 2, 2, 1, 1)


def font_category(path: Path) -> str:
    name = path.stem.lower()
    if name.startswith(("dkg", "z003")):
        return "hand"
    if any(k in name for k in ("mono", "courier", "typewriter")):
        return "mono"
    if "condensed" in name or "narrow" in name:
        return "condensed"
    if "bold" in name or "demi" in name or "bd" in name:
        return "bold"
    if any(k in name for k in ("serif", "roman", "c059", "p052", "bookman")):
        return "serif"
    return "sans"


@cache
def missing_glyphs(path: Path) -> frozenset[str]:
    """Charset characters the font draws as .notdef (or as nothing)."""
    try:
        font = ImageFont.truetype(str(path), 24)
    except OSError:
        return frozenset(PARSEQ_CHARSET)
    notdef = font.getmask("\U0010fffd")
    ref = (notdef.size, bytes(notdef))
    missing = set()
    for ch in PARSEQ_CHARSET:
        mask = font.getmask(ch)
        if mask.getbbox() is None or (mask.size, bytes(mask)) == ref:
            missing.add(ch)
    return frozenset(missing)


@lru_cache(maxsize=4)
def discover_fonts(include_heldout: bool = False, root: Path = FONT_ROOT) -> list[Path]:
    """Latin text fonts under ``root`` covering (nearly) the whole charset."""
    fonts = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in _FONT_SUFFIXES or _BLOCKED.search(path.name):
            continue
        if "noto" in path.parts and not _NOTO_LATIN.match(path.name):
            continue
        if not include_heldout and path.name.startswith(HELDOUT_FONT):
            continue
        if len(missing_glyphs(path)) <= _MAX_MISSING:
            fonts.append(path)
    return fonts


def _place(font: ImageFont.FreeTypeFont, words: list[tuple[str, float]]) -> list[tuple[float, str]]:
    """Left x of each word on one line; the space before a word is the font's times its scale."""
    space = font.getlength(" ")
    x, out = 0.0, []
    for i, (word, scale) in enumerate(words):
        if i:
            x += space * scale
        out.append((x, word))
        x += font.getlength(word)
    return out


def _bbox(font: ImageFont.FreeTypeFont, placed: list[tuple[float, str]]) -> tuple[float, float, float, float]:
    """Ink box of placed words (as ``font.getbbox``, relative to the line's origin)."""
    boxes = [(x + b[0], b[1], x + b[2], b[3]) for x, word in placed for b in [font.getbbox(word)]]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


class WordRenderer:
    """Renders a word crop (uint8 grayscale, dark ink on light paper); deterministic by seed."""

    def __init__(
        self, seed: int, fonts: list[Path] | None = None, plain: float = 0.0, device_degrade: bool = False
    ) -> None:
        """``plain``: the share of crops rendered as a clean print (no neighbours, rules, warp,
        bleed or fax resolution; light paper noise only). Glyph shapes are learnt fastest from
        those, the scan degradations from the rest.

        ``device_degrade``: leave the pixel degradations (ink bleed, noise, blur, thresholding,
        specks, JPEG, levels) to ``training.device_degrade`` on the training device; the crops
        keep their geometry (neighbours, rules, warp, loose crop, scan resolution) and come out
        as clean ink on paper, which is faster for the data workers."""
        self._r = random.Random(seed)
        self._plain = plain
        self._device_degrade = device_degrade
        self._np = np.random.default_rng(seed)
        self._fonts = list(fonts) if fonts is not None else discover_fonts()
        if not self._fonts:
            raise ValueError("no usable fonts found")
        by_cat: dict[str, list[Path]] = {}
        for path in self._fonts:
            by_cat.setdefault(font_category(path), []).append(path)
        self._cats = sorted(by_cat)
        self._cat_fonts = by_cat
        self._cat_weights = [CATEGORY_WEIGHTS.get(c, 0.1) for c in self._cats]
        self._font_cache: OrderedDict[tuple[Path, int], ImageFont.FreeTypeFont] = OrderedDict()

    # ---- fonts --------------------------------------------------------------------------
    def _font(self, path: Path, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        font = self._font_cache.get(key)
        if font is None:
            font = ImageFont.truetype(str(path), size)
            self._font_cache[key] = font
            if len(self._font_cache) > 2000:
                self._font_cache.popitem(last=False)
        return font

    def _pick_font(self, text: str) -> Path:
        chars = set(text)
        for _ in range(8):
            cat = self._r.choices(self._cats, self._cat_weights)[0]
            path = self._r.choice(self._cat_fonts[cat])
            if not (chars & missing_glyphs(path)):
                return path
        full = [p for p in self._fonts if not (chars & missing_glyphs(p))]
        return self._r.choice(full or self._fonts)

    def _neighbour(self) -> str:
        r = self._r
        n = r.randint(1, 6)
        pool = PARSEQ_CHARSET[10:62] if r.random() < 0.8 else PARSEQ_CHARSET
        return "".join(r.choice(pool) for _ in range(n))

    # ---- pipeline -----------------------------------------------------------------------
    def render(self, text: str) -> npt.NDArray[np.uint8]:
        r = self._r
        path = self._pick_font(text)
        size = r.choices(_SIZES, _SIZE_WEIGHTS)[0]
        font = self._font(path, size)
        cap = size * _CAP_RATIO
        if self._plain > 0 and r.random() < self._plain:
            return self._render_plain(text, font, cap)

        # Neighbouring words at the natural word space; the words of a phrase at a word space that
        # varies from line to line, down to the narrow gaps of fax and typewriter text.
        scale = self._space_scale(text)
        pieces = ([(self._neighbour(), 1.0)] if r.random() < 0.3 else []) + [(w, scale) for w in text.split(" ")]
        first = len(pieces) - len(text.split(" "))
        if r.random() < 0.3:
            pieces.append((self._neighbour(), 1.0))
        placed = _place(font, pieces)
        _ll, _lt, lr, lb = _bbox(font, placed)
        tl, tt, tr, tb = _bbox(font, placed[first : first + len(text.split(" "))])
        if tr <= tl:  # nothing visible (should not happen with charset text)
            tl, tt, tr, tb = 0, 0, max(1, int(cap / 2)), int(cap)
        pad = int(cap * 1.2) + 4
        width = int(max(lr, tr)) + 2 * pad
        height = int(max(lb, tb)) + 2 * pad
        img = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(img)
        for x, word in placed:
            draw.text((pad + x, pad), word, fill=255, font=font)
        mask = np.array(img)
        x0, x1 = pad + tl, pad + tr
        y0, y1 = pad + tt, pad + tb
        ascent, descent = font.getmetrics()
        baseline = pad + ascent

        self._add_lines(mask, x0, x1, y0, y1, baseline, descent, cap)
        if r.random() < 0.15:  # fragments of the text line above or below
            line_h = int(cap * r.uniform(1.5, 2.2)) * r.choice((-1, 1))
            mask = np.maximum(mask, np.roll(mask, (line_h, r.randint(-width // 3, width // 3)), axis=(0, 1)))

        mask, (x0, y0, x1, y1) = self._warp(mask, (x0, y0, x1, y1), cap)
        mask = self._crop(mask, x0, y0, x1, y1, cap)
        if self._device_degrade:
            mask = self._downsample(mask, cap)
            return (255 - mask).astype(np.uint8)
        mask = self._bleed(mask, cap)
        mask = self._downsample(mask, cap)
        return self._paper(mask)

    def _render_plain(self, text: str, font: ImageFont.FreeTypeFont, cap: float) -> npt.NDArray[np.uint8]:
        r = self._r
        placed = _place(font, [(w, self._space_scale(text)) for w in text.split(" ")])
        tl, tt, tr, tb = _bbox(font, placed)
        pad = int(cap * 1.2) + 4
        img = Image.new("L", (int(tr) + 2 * pad, int(tb) + 2 * pad), 0)
        draw = ImageDraw.Draw(img)
        for x, word in placed:
            draw.text((pad + x, pad), word, fill=255, font=font)
        mask = self._crop(np.array(img), pad + tl, pad + tt, pad + tr, pad + tb, cap)
        paper, ink = r.uniform(215, 255), r.uniform(0, 70)
        out = paper - mask.astype(np.float32) * ((paper - ink) / 255)
        if r.random() < 0.5:
            out += self._np.normal(0, r.uniform(1, 6), out.shape).astype(np.float32)
        return np.clip(out, 0, 255).astype(np.uint8)

    def _space_scale(self, text: str) -> float:
        """Word space of a phrase, x the font's own: narrow (fax, typewriter) to wide."""
        if " " not in text:
            return 1.0
        r = self._r.random()
        if r < 0.35:
            return self._r.uniform(0.45, 0.8)
        return self._r.uniform(0.8, 1.6)

    def _add_lines(
        self, mask: np.ndarray, x0: float, x1: float, y0: float, y1: float, baseline: int, descent: int, cap: float
    ) -> None:
        r = self._r
        h, w = mask.shape
        thick = max(1, round(cap * r.uniform(0.04, 0.12)))
        ink = r.randint(150, 255)
        if r.random() < 0.2:  # underline / form line at or just below the baseline
            y = int(baseline + r.uniform(-0.1, 1.0) * max(descent, 2))
            xa = 0 if r.random() < 0.6 else int(x0 - r.uniform(0, cap))
            xb = w if r.random() < 0.6 else int(x1 + r.uniform(0, cap))
            cv2.line(mask, (xa, y), (xb, y), ink, thick)
        if r.random() < 0.08:  # line crossing the text
            y = int(r.uniform(y0, y1))
            cv2.line(mask, (0, y), (w, y), ink, max(1, thick - 1))
        if r.random() < 0.07:  # box rule above
            y = int(y0 - r.uniform(0.2, 0.9) * cap)
            cv2.line(mask, (0, y), (w, y), ink, thick)
        if r.random() < 0.12:  # box border left and/or right
            for x, sign in ((x0, -1), (x1, 1)):
                if r.random() < 0.6:
                    xx = int(x + sign * r.uniform(0.15, 0.9) * cap)
                    cv2.line(mask, (xx, 0), (xx, h), ink, thick)

    def _warp(self, mask: np.ndarray, box: tuple[float, float, float, float], cap: float):
        r = self._r
        if r.random() < 0.4:
            return mask, box
        h, w = mask.shape
        angle = np.deg2rad(r.uniform(-3, 3))
        shear = r.uniform(-0.25, 0.25) if r.random() < 0.4 else 0.0
        c, s = np.cos(angle), np.sin(angle)
        cx, cy = w / 2, h / 2
        lin = np.array([[c, -s], [s, c]]) @ np.array([[1, shear], [0, 1]])
        m = np.hstack([lin, (np.array([cx, cy]) - lin @ np.array([cx, cy]))[:, None]])
        out = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ m.T
        return out, (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())

    def _crop(self, mask: np.ndarray, x0: float, y0: float, x1: float, y1: float, cap: float) -> np.ndarray:
        r = self._r
        h, w = mask.shape
        loose = r.random()

        def margin() -> float:
            return cap * (r.uniform(0.0, 0.2) if loose < 0.35 else r.uniform(0.05, 0.3 + loose))

        xa = max(0, int(x0 - margin()))
        xb = min(w, int(np.ceil(x1 + margin())) + 1)
        ya = max(0, int(y0 - margin() * 0.8))
        yb = min(h, int(np.ceil(y1 + margin() * 0.8)) + 1)
        crop = mask[ya:yb, xa:xb]
        if r.random() < 0.15:
            # A hand-drawn lasso: the word off-centre, with empty paper up to ~1.5 cap heights on
            # one or two sides (beyond what the rendered canvas holds).
            top, bottom, left, right = (int(cap * r.uniform(0.0, 1.5)) if r.random() < 0.5 else 0 for _ in range(4))
            crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
        return crop

    def _bleed(self, mask: np.ndarray, cap: float) -> np.ndarray:
        r = self._r.random()
        if r < 0.2:
            k = 2 if cap < 25 else 3
            return cv2.dilate(mask, np.ones((k, k), np.uint8))
        if r < 0.3 and cap > 14:
            return cv2.erode(mask, np.ones((2, 2), np.uint8))
        return mask

    def _downsample(self, mask: np.ndarray, cap: float) -> np.ndarray:
        r = self._r
        target_cap = r.uniform(7.5, 16.0)  # cap height of 8-14 pt type scanned at ~100 dpi
        if target_cap >= cap or r.random() < 0.1:
            return mask
        scale = target_cap / cap
        h, w = mask.shape
        small = cv2.resize(mask, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        if r.random() < 0.5:  # back up to the scanning resolution, as an upscaled fax would be
            interp = cv2.INTER_NEAREST if r.random() < 0.3 else cv2.INTER_LINEAR
            return cv2.resize(small, (w, h), interpolation=interp)
        return small

    def _paper(self, mask: np.ndarray) -> npt.NDArray[np.uint8]:
        r, g = self._r, self._np
        h, w = mask.shape
        paper = r.uniform(200, 255) if r.random() < 0.85 else r.uniform(150, 210)
        ink = r.uniform(0, 90)
        bg = np.full((h, w), paper, np.float32)
        if r.random() < 0.4:  # uneven illumination / toner
            gx = np.linspace(-1, 1, w, dtype=np.float32) * r.uniform(-30, 30)
            gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None] * r.uniform(-30, 30)
            bg = bg + gx + gy
        alpha = mask.astype(np.float32) * (1 / 255)
        img: np.ndarray = bg - alpha * (bg - ink)
        if r.random() < 0.5:
            img += g.normal(0, r.uniform(2, 12), (h, w)).astype(np.float32)
        if r.random() < 0.35:
            sigma = r.uniform(0.4, 1.2)
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        if r.random() < 0.25:  # fax / photocopier thresholding
            thr = ink + r.uniform(0.45, 0.8) * (paper - ink)
            img = np.where(img < thr, ink * r.uniform(0, 0.5), paper if paper > 200 else 255.0)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if r.random() < 0.3:
            p = r.uniform(0.002, 0.03)
            u = g.random((h, w))
            img[u < p / 2] = r.randint(0, 60)
            img[u > 1 - p / 2] = 255
        if r.random() < 0.3:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, r.randint(15, 80)])
            decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else None
            if decoded is not None:
                img = decoded
        if r.random() < 0.3:  # contrast / levels
            lo, hi = r.uniform(0, 60), r.uniform(190, 255)
            img = (lo + img.astype(np.float32) * ((hi - lo) / 255)).astype(np.uint8)
        return img.astype(np.uint8, copy=False)  # uint8 already; says so to the type checker
