"""The searchable PDF's invisible text layer: fonts for every script, words as drawn, one stream a page.

Each word is drawn in text render mode 3 (invisible) and stretched over its box, so text
extraction and search give back the reviewed text at the word's place on the scan:

- Fonts: each character takes the first font that has a glyph for it: Helvetica (built into every
  PDF reader, not embedded) for printable Latin-1, then an installed Unicode font (DejaVu Sans,
  Liberation Sans: Latin, Greek, Cyrillic, Arabic, symbols, some emoji), then a CJK font (Noto Sans
  CJK, Droid Sans Fallback or WenQuanYi if installed, else the Droid Sans Fallback font built into
  MuPDF). Embedded fonts are subset to the glyphs used.
- Right-to-left words (Arabic, Hebrew) are drawn in visual order, as a reader shows them, so that
  extraction, which reorders right-to-left runs, gives them back in logical order.
- The ToUnicode map MuPDF writes for an embedded font cannot tell a character outside the Basic
  Multilingual Plane (emoji), nor U+FFFD itself. So a word drawn with an embedded font carries its
  text as ``/ActualText``, which extraction and search use instead of the glyphs; a character no
  font has, and U+FFFD, are carried by ``/ActualText`` alone (no glyph). Right-to-left words get no
  ``/ActualText`` (MuPDF would reorder it as if it were drawn): there such a character is drawn
  with U+FFFD's glyph and extracts as whatever the font's map gives for it, never U+0000.
- Known limit: MuPDF's extraction reverses each right-to-left run of a line in place; a
  right-to-left line that also holds a left-to-right run (digits, Latin) is drawn in correct
  visual order but extracts with its runs in drawn order. Lines of one direction read back exactly.
- All words of a page go into one content stream, written once: the cost is linear in words.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.export_base import is_rtl

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pymupdf

__all__ = ["CJK_FONT_FILES", "UNICODE_FONT_FILES", "FontChain", "TextLayer", "visual_order"]

BASE_FONT = "helv"
UNICODE_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
)
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
BUILTIN_CJK = "cjk"  # MuPDF's built-in Droid Sans Fallback
REPLACEMENT = "\ufffd"
_RTL = frozenset({"R", "AL"})
_LTR_IN_RTL = frozenset({"L", "EN", "AN"})  # runs a right-to-left word still draws left to right


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in _RTL for c in text)


def visual_order(word: str) -> str:
    """``word`` in the order its characters are drawn, left to right.

    A word holding right-to-left letters is reversed, except for runs of left-to-right characters
    (digits, Latin), which keep their order; any other word is returned as it is.
    """
    if not _has_rtl(word):
        return word
    runs = [
        (ltr, "".join(g)) for ltr, g in itertools.groupby(word, lambda c: unicodedata.bidirectional(c) in _LTR_IN_RTL)
    ]
    return "".join(run if ltr else run[::-1] for ltr, run in reversed(runs))


@dataclass(eq=False)
class _Face:
    """One font of the chain: its resource name on a page, how to embed it, and its glyphs."""

    name: str
    font: pymupdf.Font
    file: str | None = None
    buffer: bytes | None = None
    simple: bool = False  # Helvetica: one byte a character (WinAnsi); others: two-byte glyph ids
    _glyphs: dict[str, tuple[str, float]] = field(default_factory=dict)

    def glyph(self, c: str) -> tuple[str, float]:
        """The hex code that draws ``c`` in this face, and its advance at font size 1 (cached)."""
        found = self._glyphs.get(c)
        if found is None:
            code = f"{ord(c):02x}" if self.simple else f"{self.font.has_glyph(ord(c)):04x}"
            found = self._glyphs[c] = (code, self.font.text_length(c, fontsize=1))
        return found


@dataclass
class FontChain:
    """The fonts a document's text layer draws with, in order of preference; loaded once an export."""

    faces: list[_Face] = field(default_factory=list)
    _cjk_loaded: bool = False
    _by_char: dict[str, _Face | None] = field(default_factory=dict)

    @classmethod
    def load(cls) -> FontChain:
        """Helvetica and the first installed Unicode font; the CJK font is loaded when first needed."""
        import pymupdf

        chain = cls([_Face(BASE_FONT, pymupdf.Font(BASE_FONT), simple=True)])
        found = next((f for f in UNICODE_FONT_FILES if Path(f).is_file()), None)
        if found is not None:
            chain.faces.append(_Face("nlsans", pymupdf.Font(fontfile=found), file=found))
        return chain

    def _load_cjk(self) -> None:
        import pymupdf

        self._cjk_loaded = True
        found = next((f for f in CJK_FONT_FILES if Path(f).is_file()), None)
        try:
            font = pymupdf.Font(fontfile=found) if found else pymupdf.Font(BUILTIN_CJK)
        except RuntimeError:  # a MuPDF built without its CJK font
            return
        self.faces.append(_Face("nlcjk", font, file=found, buffer=None if found else font.buffer))

    def face_for(self, c: str) -> _Face | None:
        """The first face with a glyph for ``c``; None when no font has one."""
        if c in self._by_char:
            return self._by_char[c]
        code = ord(c)
        face: _Face | None = None
        if 0x20 <= code < 0x7F or 0xA0 <= code <= 0xFF:
            face = self.faces[0]
        else:
            face = next((f for f in self.faces[1:] if f.font.has_glyph(code)), None)
            if face is None and not self._cjk_loaded:
                self._load_cjk()
                face = next((f for f in self.faces[1:] if f.font.has_glyph(code)), None)
        self._by_char[c] = face
        return face

    @property
    def fallback(self) -> _Face:
        """The face that draws U+FFFD for a character no font has."""
        return next((f for f in self.faces[1:] if f.font.has_glyph(ord(REPLACEMENT))), self.faces[-1])


def _fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".") or "0"


def _gap(a: pymupdf.Rect, b: pymupdf.Rect, turn: int) -> pymupdf.Rect:
    """The box between word boxes ``a`` and ``b`` along the line (``a``'s extent across it); at
    least a sliver when they touch or overlap."""
    import pymupdf

    if turn in (0, 180):
        lo, hi = sorted((a.x1 if a.x1 <= b.x0 else b.x1, b.x0 if a.x1 <= b.x0 else a.x0))
        if hi - lo < 0.5:
            lo, hi = (a.x1, a.x1 + 0.5) if turn == 0 else (a.x0 - 0.5, a.x0)
        return pymupdf.Rect(lo, a.y0, hi, a.y1)
    lo, hi = sorted((a.y1 if a.y1 <= b.y0 else b.y1, b.y0 if a.y1 <= b.y0 else a.y0))
    if hi - lo < 0.5:
        lo, hi = (a.y1, a.y1 + 0.5) if turn == 270 else (a.y0 - 0.5, a.y0)
    return pymupdf.Rect(a.x0, lo, a.x1, hi)


def _actual_text(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class TextLayer:
    """The invisible words of one page, written as one content stream by :meth:`commit`."""

    def __init__(self, page: pymupdf.Page, fonts: FontChain) -> None:
        self.page = page
        self.fonts = fonts
        # The page's geometry, read once (each read is a call into MuPDF).
        d = page.derotation_matrix
        self._derotate = (d.a, d.b, d.c, d.d, d.e, d.f)
        self._rotation = page.rotation
        self._shift = (page.cropbox_position.x, page.mediabox_size.y - page.cropbox_position.y)
        self._turns: dict[int, tuple[float, float, float, float]] = {}
        self.used: dict[str, _Face] = {}  # resource name -> face drawn with on this page
        self.parts: list[str] = ["q\nBT\n3 Tr\n"]
        self.words = 0

    def add_line(self, words: Sequence[tuple[pymupdf.Rect, str]], *, turn: int = 0) -> None:
        """One line's words, each stretched over its box (page as displayed, points), in reading order.

        A space is drawn between each word and the next, stretched over the gap between their
        boxes, so extraction keeps them one line of words apart however the boxes lie. A right-to-left
        line is drawn from its leftmost (last) word on.
        ``turn``: the region's rotation (clockwise degrees the page was turned to read it).
        """
        if is_rtl(" ".join(text for _, text in words)):
            words = words[::-1]  # drawn as shown, left to right: extraction puts them back in reading order
        for i, (rect, text) in enumerate(words):
            if self._draw(rect, text, turn=turn) and i + 1 < len(words):
                self._draw(_gap(rect, words[i + 1][0], turn), " ", turn=turn)

    def _draw(self, rect: pymupdf.Rect, text: str, *, turn: int) -> bool:
        """Draw ``text`` stretched over ``rect``; False when there is nothing to draw."""
        import pymupdf

        sideways = turn in (90, 270)
        length, height = (rect.height, rect.width) if sideways else (rect.width, rect.height)
        if height <= 0 or length <= 0 or not text:
            return False
        rtl = _has_rtl(text)
        runs: list[tuple[_Face, str]] = []  # (face, characters it draws)
        hidden = False  # a character only /ActualText carries
        for c in visual_order(text):
            face = self.fonts.face_for(c)
            if face is None or c == REPLACEMENT:
                if not rtl:
                    hidden = True
                    continue
                face, c = self.fonts.fallback, REPLACEMENT
            if runs and runs[-1][0] is face:
                runs[-1] = (face, runs[-1][1] + c)
            else:
                runs.append((face, c))
        if not runs:  # only characters no font draws: a space holds their place
            runs.append((self.fonts.faces[0], " "))
        fontsize = max(height * 0.8, 1.0)
        width = fontsize * sum(face.glyph(c)[1] for face, chars in runs for c in chars)
        if width <= 0:
            return False
        # Baseline near the bottom of the box as the word reads; stretched along the line so the
        # text spans the box. A turned region's word runs up (90), right-to-left upside down (180)
        # or down (270) the page; a rotated PDF page gets the origin in its unrotated space.
        start = {
            0: (rect.x0, rect.y1 - height * 0.2),
            90: (rect.x1 - height * 0.2, rect.y1),
            180: (rect.x1, rect.y0 + height * 0.2),
            270: (rect.x0 + height * 0.2, rect.y0),
        }[turn]
        da, db, dc, dd, de, df = self._derotate  # the origin in the unrotated page, PDF's y-up space
        left = start[0] * da + start[1] * dc + de + self._shift[0]
        top = self._shift[1] - (start[0] * db + start[1] * dd + df)
        if turn not in self._turns:
            r = pymupdf.Matrix(turn) * pymupdf.Matrix(self._rotation)
            self._turns[turn] = (r.a, r.b, r.c, r.d)
        ra, rb, rc, rd = self._turns[turn]
        sx = length / width  # stretched along the line: Matrix(sx, 1) * the turn * the page's rotation
        size = _fmt(fontsize)
        out = [" ".join(_fmt(v) for v in (sx * ra, sx * rb, rc, rd, left, top)) + " Tm\n"]
        actual = not rtl and (hidden or any(not face.simple for face, _ in runs))
        if actual:
            out.append(f"/Span <</ActualText {_actual_text(text)}>> BDC\n")
        for face, chars in runs:
            self.used[face.name] = face
            out.append(f"/{face.name} {size} Tf <{''.join(face.glyph(c)[0] for c in chars)}> Tj\n")
        if actual:
            out.append("EMC\n")
        self.parts.extend(out)
        self.words += text != " "
        return True

    def commit(self) -> bool:
        """Add the page's fonts and its one text stream (the page's own content wrapped in q/Q).

        Returns whether a font to embed (not Helvetica) was used. Does nothing when no word was added.
        """
        if not self.words:
            return False
        page, doc = self.page, self.page.parent
        for face in self.used.values():
            if face.simple:
                page.insert_font(fontname=face.name)
            else:
                page.insert_font(fontname=face.name, fontfile=face.file, fontbuffer=face.buffer)
        self.parts.append("ET\nQ\n")
        page.wrap_contents()  # balance the page's own q/Q once
        streams = [self._new_stream(b"q\n"), *page.get_contents(), self._new_stream(b"\nQ\n")]
        streams.append(self._new_stream("".join(self.parts).encode("ascii")))
        doc.xref_set_key(page.xref, "Contents", "[" + " ".join(f"{x} 0 R" for x in streams) + "]")
        return any(not f.simple for f in self.used.values())

    def _new_stream(self, data: bytes) -> int:
        doc = self.page.parent
        xref = int(doc.get_new_xref())
        doc.update_object(xref, "<<>>")
        doc.update_stream(xref, data, compress=True)
        return xref
