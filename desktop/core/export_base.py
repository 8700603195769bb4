"""What every export format shares: page and line geometry, safe text, checked atomic writes, the export error.

The format modules (:mod:`desktop.core.export_xml`, :mod:`desktop.core.export_pdf`) and the entry
point (:mod:`desktop.core.export`) import from here; nothing here imports them, so no import circles.
Coordinates are page pixels at the session's dpi.

Text a reviewer pasted may hold characters a format cannot carry. Every export is valid whatever
the text holds: a lone surrogate (half of a UTF-16 pair) becomes U+FFFD REPLACEMENT CHARACTER in
every format (:func:`encodable_text`), and in the XML formats (hOCR, ALTO, PAGE) and the PDF text
layer so does every character XML 1.0 cannot hold: the C0 controls other than tab, line feed and
carriage return (NUL, vertical tab, form feed, escape ...) and the non-characters U+FFFE and U+FFFF
(:func:`xml_text`). Each writer then reads back what it wrote before it replaces the target
(:func:`atomic_path`'s ``check``), so an invalid file is never reported as written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.regions import Region, encodable_text
from inference.errors import ExitCode, NoteLassoError
from inference.geometry import Box, Point

if TYPE_CHECKING:
    from desktop.core.session import ReviewSession

GENERATOR = "NoteLasso"
REPLACEMENT = "\ufffd"

#: What XML 1.0 cannot hold (the complement of its ``Char`` production), surrogates aside.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ExportError(NoteLassoError):
    """The export could not be written (disk full, read-only folder, unknown format)."""

    exit_code = ExitCode.EXPORT


# -- text every format can carry ---------------------------------------------------------------
def sign_off_metadata(session: ReviewSession) -> dict[str, str] | None:
    """The standing sign-off every export carries (reviewer, signed_at, chain_head), None when the
    review is not signed off or was reopened by a later change."""
    signed = session.sign_off_state()
    return signed.metadata() if signed is not None and not signed.is_open else None


def sign_off_line(session: ReviewSession) -> str:
    """The sign-off as one ``key=value; ...`` line for formats with a text metadata field ("" if none)."""
    meta = sign_off_metadata(session)
    return "; ".join(f"{k}={v}" for k, v in meta.items()) if meta else ""


def xml_text(text: str) -> str:
    """``text`` as XML 1.0 can carry it, in element text and attribute values alike.

    Surrogates as in :func:`encodable_text`; then every C0 control but tab, line feed and carriage
    return, and U+FFFE and U+FFFF, becomes U+FFFD. Every other character is kept as it is.
    """
    return _NOT_XML.sub(REPLACEMENT, encodable_text(text))


# -- geometry shared by the layout formats --------------------------------------------------
@dataclass(frozen=True, slots=True)
class WordGeom:
    text: str
    box: Box
    confidence: float | None  # None when the word's box is estimated (text was corrected)


@dataclass(frozen=True, slots=True)
class LineGeom:
    text: str
    box: Box
    words: tuple[WordGeom, ...]


def _int_box(b: Iterable[float]) -> Box:
    x0, y0, x1, y1 = (round(v) for v in b)
    return (max(0, x0), max(0, y0), max(x0 + 1, x1), max(y0 + 1, y1))


def _union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def _model_lines(region: Region) -> list[LineGeom] | None:
    """Group the model's words into its lines (the recogniser joins words with ' ' and lines with '\\n')."""
    if not region.words:
        return None
    words = list(region.words)
    lines: list[LineGeom] = []
    pos = 0  # index into model_text / confidences
    wi = 0
    for line in region.model_text.split("\n"):
        geoms = []
        for token in line.split(" "):
            if wi >= len(words) or words[wi][0] != token:
                return None
            confs = region.confidences[pos : pos + len(token)]
            geoms.append(WordGeom(token, _int_box(words[wi][1]), min(confs) if confs else None))
            pos += len(token) + 1
            wi += 1
        lines.append(LineGeom(line, _union(w.box for w in geoms), tuple(geoms)))
    return lines if wi == len(words) else None


def is_rtl(text: str) -> bool:
    """True when the first strongly directional character of ``text`` is right-to-left (Arabic, Hebrew)."""
    for c in text:
        kind = unicodedata.bidirectional(c)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _spread_words(text: str, box: Box) -> tuple[WordGeom, ...]:
    """Estimated word boxes: the line's width shared in proportion to word lengths.

    A right-to-left line (see :func:`is_rtl`) starts at the right: its first word is the rightmost."""
    tokens = text.split()
    if not tokens:
        return ()
    x0, y0, x1, y1 = box
    units = sum(len(t) for t in tokens) + len(tokens) - 1
    step = (x1 - x0) / max(units, 1)
    rtl = is_rtl(text)
    out, pos = [], 0
    for t in tokens:
        a, b = pos * step, (pos + len(t)) * step
        a, b = (x1 - b, x1 - a) if rtl else (x0 + a, x0 + b)
        out.append(WordGeom(t, _int_box((a, y0, b, y1)), None))
        pos += len(t) + 1
    return tuple(out)


def _reading_frame(region: Region) -> tuple[Callable[[Box], Box], Callable[[Box], Box]]:
    """Box maps page -> upright and upright -> page for a region drawn on a turned page.

    The upright frame is the region's bounding box turned clockwise by ``region.rotation``,
    with its origin at the turned box's top-left corner; lines run along its x axis."""
    x0, y0, x1, y1 = region.bbox
    w, h = x1 - x0, y1 - y0
    turn = region.rotation

    def up_to_page(u: float, v: float) -> Point:
        x, y = {0: (u, v), 90: (v, h - u), 180: (w - u, h - v), 270: (w - v, u)}[turn]
        return x0 + x, y0 + y

    def page_to_up(x: float, y: float) -> Point:
        x, y = x - x0, y - y0
        return {0: (x, y), 90: (h - y, x), 180: (w - x, h - y), 270: (y, w - x)}[turn]

    def mapper(point: Callable[[float, float], Point]) -> Callable[[Box], Box]:
        def box(b: Box) -> Box:
            pts = [point(b[0], b[1]), point(b[2], b[3])]
            return _int_box(
                (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
            )

        return box

    return mapper(page_to_up), mapper(up_to_page)


def region_lines(region: Region) -> list[LineGeom]:
    """The final text of a region as lines and words with page-pixel boxes.

    Untouched model text keeps the recogniser's word boxes and confidences; corrected text
    reuses the model's line boxes when the line count matches, else equal strips of the region.
    A region drawn on a turned page is laid out as it reads (lines along the turned axis).
    """
    text_lines = [ln for ln in region.text.split("\n") if ln.strip()]
    if not text_lines:
        return []
    model = _model_lines(region)
    if model is not None and region.text == region.model_text:
        return [ln for ln in model if ln.text.strip()]
    to_upright, to_page = _reading_frame(region)
    if model is not None and len(model) == len(text_lines):
        boxes = [to_upright(ln.box) for ln in model]
    else:
        x0, y0, x1, y1 = to_upright(_int_box(region.bbox))
        h = (y1 - y0) / len(text_lines)
        boxes = [_int_box((x0, y0 + i * h, x1, y0 + (i + 1) * h)) for i in range(len(text_lines))]
    return [
        LineGeom(t, to_page(b), tuple(WordGeom(w.text, to_page(w.box), w.confidence) for w in _spread_words(t, b)))
        for t, b in zip(text_lines, boxes, strict=False)
    ]


# -- checks of a written file ---------------------------------------------------------------------
Check = Callable[[Path], None]


def _invalid(what: str) -> ExportError:
    return ExportError(f"The {what} export came out invalid, so it was not saved. Please report this.")


def check_utf8(path: Path) -> None:
    """Raise ExportError unless ``path`` holds UTF-8 text (TXT)."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid("text") from exc


def check_csv(path: Path) -> None:
    """Raise ExportError unless ``path`` holds a UTF-8 CSV table whose rows all have the header's width."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _invalid("CSV") from exc
    if not rows or any(len(row) != len(rows[0]) for row in rows):
        raise _invalid("CSV")


def check_json(path: Path) -> None:
    """Raise ExportError unless ``path`` holds one JSON document in UTF-8."""
    try:
        json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid("JSON") from exc


def check_xml(path: Path) -> None:
    """Raise ExportError unless ``path`` holds well-formed XML (hOCR, ALTO, PAGE)."""
    try:
        ET.parse(path)
    except (ET.ParseError, UnicodeDecodeError) as exc:
        raise _invalid("XML") from exc


# -- atomic writes ----------------------------------------------------------------------------
#: Every export is readable and writable by its owner only: it holds patient text (decision 015).
EXPORT_MODE = 0o600


@contextlib.contextmanager
def atomic_path(out_path: Path, check: Check | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``out_path``; on success it replaces ``out_path``.

    ``check(tmp)``, when given, reads back what was written and raises ExportError if it is not a
    valid file of its format; then nothing replaces ``out_path`` and the temporary file is removed.
    The file gets :data:`EXPORT_MODE` (0600) whatever library wrote it.
    """
    out_path = Path(out_path)
    folder = out_path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"Cannot write to the folder {folder.name or folder} (read-only or missing?).") from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        if check is not None:
            check(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, EXPORT_MODE)  # one rule for every format, whatever wrote the file (decision 015)
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def write_atomic(out_path: Path, data: bytes, check: Check | None = None) -> Path:
    """Write ``data`` to ``out_path`` atomically, read back by ``check`` first (see :func:`atomic_path`).

    Returns ``out_path``."""
    with atomic_path(out_path, check) as tmp:
        tmp.write_bytes(data)
    return Path(out_path)


@dataclass(frozen=True, slots=True)
class PageExport:
    index: int  # 0-based
    width: int | None  # page pixels at the session's dpi
    height: int | None
    regions: tuple[Region, ...]


__all__ = [
    "EXPORT_MODE",
    "GENERATOR",
    "REPLACEMENT",
    "Check",
    "ExportError",
    "LineGeom",
    "PageExport",
    "WordGeom",
    "atomic_path",
    "check_csv",
    "check_json",
    "check_utf8",
    "check_xml",
    "encodable_text",
    "is_rtl",
    "region_lines",
    "write_atomic",
    "xml_text",
]
